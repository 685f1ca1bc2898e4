"""gunicorn's settings for the API, read by gunicorn from the directory it starts in (the
project's root; ``/app`` in the image). Options given on its command line win over these."""

# gunicorn's sync worker, woken alone for a new connection and closing at once after a request
# read whole (``backend/config/gunicorn_worker.py``).
worker_class = "backend.config.gunicorn_worker.SyncWorker"
