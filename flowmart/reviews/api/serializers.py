from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Review


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewSerializer(serializers.ModelSerializer):
    """A review as shoppers read it. Title and text are returned exactly as written (a JSON
    string: a client that renders them as HTML escapes them, as the admin does)."""

    reply = serializers.SerializerMethodField()
    verified_purchase = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField(help_text="Only ever true on the author's own hidden review.")

    class Meta:
        model = Review
        fields = [
            "id", "product_id", "rating", "title", "text", "verified_purchase", "hidden", "reply",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(ReplySerializer(allow_null=True))
    def get_reply(self, review) -> dict | None:
        if review.replied_at is None:
            return None
        return {
            "text": review.reply_text,
            "created_at": serializers.DateTimeField().to_representation(review.replied_at),
        }

    def get_verified_purchase(self, review) -> bool:
        return True  # only verified buyers can write one

    def get_hidden(self, review) -> bool:
        return review.status == Review.Status.HIDDEN


class ReviewWriteSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=200, trim_whitespace=False)
    text = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="", trim_whitespace=False)


class ReviewEditSerializer(ReviewWriteSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    title = serializers.CharField(max_length=200, required=False, trim_whitespace=False)
    text = serializers.CharField(max_length=5000, allow_blank=True, required=False, trim_whitespace=False)


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReplyWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
