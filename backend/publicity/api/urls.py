from backend.core.api import Router
from backend.publicity.api import views

router = Router()
router.register("publicity/activities", views.ActivityViewSet, basename="publicity-activity")
router.register("publicity/volunteers", views.VolunteerViewSet, basename="publicity-volunteer")
router.register("publicity/trained-villagers", views.TrainedVillagerViewSet, basename="trained-villager")
router.register(
    "publicity/demonstration-villages", views.DemonstrationVillageViewSet, basename="demonstration-village"
)

urlpatterns = router.urls
