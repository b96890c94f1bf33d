// Package apps is where loaded definitions become running business systems:
// the generic REST API (gofiber/fiber v2) mounted for every app and entity,
// login and user administration, metrics and the OpenAPI document. Errors
// are answered by engine/web's one mapper, which the web UI shares; apps
// never imports ui, nor ui apps.
//
// It calls engine's Runtime façade only; it holds no business rule and names
// no business system.
package apps
