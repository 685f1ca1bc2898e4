"""The backend's shared core: small pieces every app may use, importing no app of its own."""
