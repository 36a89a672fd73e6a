// One page for the three services: the top bar's selector switches between
// their documents. Requests from "Try it out" go to this same origin.
window.ui = SwaggerUIBundle({
  urls: [
    { url: "/auth/openapi.json", name: "auth" },
    { url: "/analytics/openapi.json", name: "analytics" },
    { url: "/notification/openapi.json", name: "notification" },
  ],
  "urls.primaryName": "auth",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "StandaloneLayout",
  // The default would load a badge from validator.swagger.io: nothing
  // third-party is fetched.
  validatorUrl: null,
  // What is typed into "Authorize" (the internal key, a token) stays in
  // the page's memory: persisted, it would wait in localStorage for every
  // script of this origin and for whoever opens the browser next.
  persistAuthorization: false,
  displayRequestDuration: true,
});
