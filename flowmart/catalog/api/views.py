from django.http import Http404, HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common import locales
from flowmart.common.serializers import requested_currency

from .. import cache, promotions, selectors
from .filters import ProductFilter
from .serializers import (
    CategorySerializer,
    ProductDetailSerializer,
    ProductListSerializer,
    ProductPageSerializer,
    SuggestQuerySerializer,
    SuggestResponseSerializer,
)

CURRENCY_PARAMETER = OpenApiParameter(
    "currency",
    str,
    description="Prices in this currency of the shop; variants not sold in it are left out. "
    "Another code: 400 unsupported_currency.",
)


def cached_json(request, build) -> HttpResponse | Response:
    """The same answer for every caller, so its JSON is cached (see catalog.cache) under the URL.
    `build()` makes the Response; the browsable API (DEBUG) renders afresh."""
    if request.accepted_renderer.format != "json":
        return build()
    # Prices are shown for the request's locale (Money's `display`): one cached page per locale.
    key, page = cache.lookup(f"{request.build_absolute_uri()} {locales.requested() or ''}")
    if page is None:
        response = build()
        page = JSONRenderer().render(response.data)
        cache.store(key, page, getattr(response, "valid_for", None))
    return HttpResponse(page, content_type="application/json")


class ProductListView(generics.ListAPIView):
    """The storefront catalogue: active products, searched, filtered and ordered, with facet counts."""

    permission_classes = [AllowAny]
    serializer_class = ProductListSerializer
    filter_backends = [DjangoFilterBackend]  # documents the parameters; filter_queryset applies them
    filterset_class = ProductFilter

    def get_queryset(self):
        return selectors.storefront_products(requested_currency(self.request.query_params.get("currency"))).annotate(
            on_promotion=promotions.on_promotion()
        )

    def filter_queryset(self, queryset):
        """As DjangoFilterBackend does, keeping the filterset: the facets are counted from it."""
        self.filterset = DjangoFilterBackend().get_filterset(self.request, queryset, self)
        if not self.filterset.is_valid():
            raise translate_validation(self.filterset.errors)
        return self.filterset.qs

    @extend_schema(responses=ProductPageSerializer)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        return cached_json(request, lambda: self._page(request))

    def get_serializer(self, *args, **kwargs):
        """The page's sale and deal prices are read once for all its products."""
        if kwargs.get("many") and args:
            args = (list(args[0]),)
            promoted = [p.id for p in args[0] if getattr(p, "on_promotion", False)]
            currency = requested_currency(self.request.query_params.get("currency"))
            self._promotions = promotions.for_products(promoted, currency)
            kwargs["context"] = {**self.get_serializer_context(), "promotions": self._promotions.prices}
        return super().get_serializer(*args, **kwargs)

    def _page(self, request) -> Response:
        with selectors.search_session(request.query_params.get("search", "")):
            response = super().list(request)
            response.data["facets"] = self.filterset.facets()
        response.valid_for = self._promotions.seconds_valid if hasattr(self, "_promotions") else None
        return response


class ProductDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProductDetailSerializer

    @extend_schema(parameters=[CURRENCY_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        currency = requested_currency(self.request.query_params.get("currency"))
        product = selectors.product_detail(self.kwargs["pk"], currency)
        if product is None:
            raise Http404
        return product

    def retrieve(self, request, *args, **kwargs):
        """The variants' sale and deal prices are read once for the product."""
        product = self.get_object()
        context = {**self.get_serializer_context(), "promotions": promotions.for_variants(product.variants.all())}
        return Response(self.get_serializer_class()(product, context=context).data)


class CategoryListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategorySerializer

    def get_queryset(self):
        return selectors.categories()


class SuggestView(APIView):
    """Auto-suggest while the shopper types: names and SKUs starting with `q`, most bought first."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[SuggestQuerySerializer], responses=SuggestResponseSerializer)
    def get(self, request):
        params = SuggestQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        q, limit = params.validated_data["q"], params.validated_data["limit"]
        return cached_json(request, lambda: Response({"query": q, "suggestions": selectors.suggest(q, limit)}))
