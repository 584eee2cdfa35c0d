// Starts Swagger UI on /docs (a static file: the pages' Content-Security-Policy allows no inline script).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });
