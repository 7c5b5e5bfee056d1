from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "o2o.rewards"
    label = "rewards"
