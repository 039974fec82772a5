"""docs/api.md, the project's API reference, stays in step with the OpenAPI schema."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

REFERENCE = Path(settings.BASE_DIR) / "docs" / "api.md"
# One section per operation: a heading such as ### `POST /api/v1/measurements/`.
SECTION = re.compile(r"^#{2,4} `(GET|POST|PUT|PATCH|DELETE) (/\S*)`$", re.MULTILINE)
# Any API path the text mentions, in a table, a sentence or a curl example.
MENTION = re.compile(r"/api/v1/[^\s\"'`?)]+")


@pytest.fixture(scope="module")
def schema_paths() -> dict[str, set[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: {method.upper() for method in ops} for path, ops in schema["paths"].items()}


def sections() -> set[tuple[str, str]]:
    return set(SECTION.findall(REFERENCE.read_text()))


def test_every_operation_of_the_schema_has_a_section_in_the_reference(schema_paths):
    operations = {(method, path) for path, methods in schema_paths.items() for method in methods}
    assert operations - sections() == set()


def test_every_section_of_the_reference_is_an_operation_of_the_schema(schema_paths):
    assert sections(), "no operation sections found in docs/api.md"
    for method, path in sections():
        assert method in schema_paths.get(path, set()), f"{method} {path} is not in the schema"


def test_every_api_path_the_reference_mentions_exists(schema_paths):
    templates = [re.compile(re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path in schema_paths]
    mentions = set(MENTION.findall(REFERENCE.read_text()))
    unknown = {m for m in mentions if not any(t.match(m) for t in templates)}
    assert mentions and unknown == set()
