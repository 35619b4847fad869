"""Storefront endpoints of the reviews context. Views translate HTTP only: the rules
(verified purchase, once per product, one reply) live in the services."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common import roles
from flowmart.common.schema import errors

from .. import selectors
from ..services import reviews
from . import serializers as s


class ProductReviewsView(generics.ListCreateAPIView):
    """GET: a product's visible reviews, newest first. POST: review it, once, after delivery."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.ReviewSerializer

    def get_queryset(self):
        return selectors.visible_reviews(self.kwargs.get("product_id", 0))

    @extend_schema(request=s.ReviewWriteSerializer, responses={201: s.ReviewSerializer, **errors(403, 409)})
    def post(self, request, product_id):
        if not selectors.product_known(product_id):
            raise NotFound("No such product.")
        data = s.ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.write(product_id=product_id, customer_id=request.user.id, **data.validated_data)
        return Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewDetailView(APIView):
    """GET: a visible review (or the caller's own). PATCH: the author edits it; anyone else's → 404."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=s.ReviewSerializer)
    def get(self, request, pk):
        review = selectors.review_for(pk, customer_id=request.user.id if request.user.is_authenticated else None)
        if review is None:
            raise NotFound("No such review.")
        return Response(s.ReviewSerializer(review).data)

    @extend_schema(request=s.ReviewEditSerializer, responses=s.ReviewSerializer)
    def patch(self, request, pk):
        review = selectors.own_review(pk, request.user.id)
        if review is None:
            raise NotFound("No such review.")
        data = s.ReviewEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(s.ReviewSerializer(reviews.edit(review, **data.validated_data)).data)


class ReportReviewView(APIView):
    """Flag a review for the moderators (it stays up until one of them decides)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ReportSerializer, responses={202: None})
    def post(self, request, pk):
        review = selectors.review_for(pk)
        if review is None:
            raise NotFound("No such review.")
        data = s.ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviews.report(review, data.validated_data["reason"])
        return Response(status=status.HTTP_202_ACCEPTED)


class IsSellerStaff(IsAuthenticated):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and roles.is_seller_staff(request.user)


class ReplyView(APIView):
    """The seller's one public reply, by a staff user of the product's seller (others' → 404)."""

    permission_classes = [IsSellerStaff]

    @extend_schema(request=s.ReplyWriteSerializer, responses={201: s.ReviewSerializer, **errors(403, 409)})
    def post(self, request, pk):
        review = selectors.repliable_review(pk, request.user)
        if review is None:
            raise NotFound("No such review.")
        data = s.ReplyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.reply(review, text=data.validated_data["text"], user_id=request.user.id)
        return Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)
