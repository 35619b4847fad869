from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "flowmart.recommendations"
    label = "recommendations"
