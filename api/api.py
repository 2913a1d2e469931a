"""The NinjaAPI instance: version 1 under /api/v1/, bearer-token auth on every operation, problem errors."""

from ninja import NinjaAPI

from api import errors
from api.auth import TokenAuth
from api.endpoints import auth, cart, catalog, invoices, orders, stats, users


class ShopAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Error responses are documented as `application/problem+json`, which is what they are."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        response["content"] = {errors.PROBLEM_TYPE: content["application/json"]}
        return schema


api = ShopAPI(
    title="Shop API",
    version="1",
    description="The shop's JSON API for apps and integrations. See docs/api.md.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
)
errors.install(api)
api.add_router("", auth.router)
api.add_router("", users.router)
api.add_router("", catalog.router)
api.add_router("", cart.router)
api.add_router("", orders.router)
api.add_router("", invoices.router)
api.add_router("", stats.router)
