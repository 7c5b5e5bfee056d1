from ninja import NinjaAPI

api = NinjaAPI(title="O2O API", version="1")
