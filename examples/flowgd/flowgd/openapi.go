package flowgd

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// openAPIYAML is a copy of workflows/openapi/flowg-openapi.yml; a test keeps
// the two identical (go:embed cannot reach outside the package directory).
//
//go:embed openapi.yml
var openAPIYAML []byte

// OpenAPIYAML returns the API's OpenAPI description as YAML.
func OpenAPIYAML() []byte { return append([]byte(nil), openAPIYAML...) }

// openAPIJSON converts the embedded YAML description to JSON.
func openAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("parse embedded OpenAPI description: %w", err)
	}
	b, err := json.MarshalIndent(jsonable(doc), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("convert embedded OpenAPI description to JSON: %w", err)
	}
	return b, nil
}

// jsonable turns YAML maps with non-string keys (such as unquoted status
// codes) into string-keyed maps encoding/json accepts.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
		return t
	default:
		return v
	}
}
