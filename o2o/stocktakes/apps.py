from django.apps import AppConfig


class StocktakesConfig(AppConfig):
    name = "o2o.stocktakes"
    label = "stocktakes"
