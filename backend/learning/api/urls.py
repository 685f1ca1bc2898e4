from backend.core.api import Router
from backend.learning.api import views

router = Router()
router.register("learning/classes", views.TrainingClassViewSet, basename="training-class")
router.register("learning/lectures", views.StaffLectureViewSet, basename="staff-lecture")
router.register("learning/trips", views.StudyTripViewSet, basename="study-trip")

urlpatterns = router.urls
