from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "flowmart.promotions"
    label = "promotions"
