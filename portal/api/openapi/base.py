"""The building blocks of the API's schemas: closed objects, nullable types, the envelope.

Objects are closed (additionalProperties false), so a field added to a
response without being described fails tests/api/test_openapi.py.
"""

from portal.grades import PUBLISHED_GRADES


def nullable(schema):
    """Return ``schema`` that also allows null."""
    schema = dict(schema)
    kind = schema.get("type")
    if kind is not None:
        schema["type"] = [kind, "null"] if isinstance(kind, str) else [*kind, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def closed_object(properties, required=None, description=None):
    """Return an object schema with these properties, all required unless told, and no others."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def ref(name):
    """Return a reference to the schema ``name`` under #/components/schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
BOOLEAN = {"type": "boolean"}
NUMBER = {"type": "number"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}
GRADE = {"type": "string", "enum": list(PUBLISHED_GRADES)}
EVALUATION = {"type": ["string", "null"], "enum": ["5A", "4A", "3A", "2A", "1A", None]}

PUBLICATION_PROPERTIES = {
    "data_as_of": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "When the last successful sync read the scoring database (UTC); null before the first.",
    },
    "publication_version": {
        "type": ["integer", "null"],
        "description": "The version of the public list this response reflects; it moves with every sync that changes it.",
    },
}


def envelope(properties, description=None):
    """Return a response object schema: ``properties`` plus data_as_of and publication_version."""
    return closed_object({**properties, **PUBLICATION_PROPERTIES}, description=description)
