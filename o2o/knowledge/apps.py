from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "o2o.knowledge"
    label = "knowledge"
