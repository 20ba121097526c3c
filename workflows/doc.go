// Package workflows holds ready-to-run Arazzo workflows (arazzo/) and the
// OpenAPI descriptions they call (openapi/). It has no Go API: its tests run
// each workflow end to end against the local services in examples/ and
// check the real effects on their data.
package workflows
