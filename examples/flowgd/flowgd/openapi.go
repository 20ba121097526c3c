package flowgd

import (
	_ "embed"

	"github.com/go-arazzo/arazzo/examples/internal/apidoc"
)

// openAPIYAML is a copy of workflows/openapi/flowg-openapi.yml; a test keeps
// the two identical (go:embed cannot reach outside the package directory).
//
//go:embed openapi.yml
var openAPIYAML []byte

// OpenAPIYAML returns the API's OpenAPI description as YAML.
func OpenAPIYAML() []byte { return append([]byte(nil), openAPIYAML...) }

// openAPIJSON is the embedded description as JSON, for /openapi.json.
func openAPIJSON() ([]byte, error) { return apidoc.JSON(openAPIYAML) }
