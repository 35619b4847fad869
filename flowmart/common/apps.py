from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "flowmart.common"
    label = "common"
