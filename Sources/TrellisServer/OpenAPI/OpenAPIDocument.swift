/// The OpenAPI 3.1 document of the HTTP API, served at `GET /openapi.json`.
enum OpenAPIDocument {
    static let json = """
    {"openapi": "3.1.0", "info": {"title": "Trellis", "version": "0.1.0"}, "paths": {}}
    """
}
