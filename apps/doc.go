// Package apps is where loaded definitions become running business systems:
// the generic REST API (gofiber/fiber v2) mounted for every app and entity,
// the one mapper from engine errors to HTTP, metrics and the OpenAPI document.
//
// It calls engine's Runtime façade only; it holds no business rule and names
// no business system.
package apps
