from django.urls import path

from backend.plan.api import views

urlpatterns = [
    path("plan/indicators", views.PlanIndicatorsView.as_view(), name="plan-indicators"),
    path("plan/indicators/export.xlsx", views.PlanExportView.as_view(), name="plan-indicators-export"),
]
