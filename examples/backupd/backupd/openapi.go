package backupd

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// openAPIYAML is a copy of
// workflows/openapi/prisma-postgres-management-openapi.yml (go:embed cannot
// reach outside the package directory); a test keeps the two identical.
//
//go:embed openapi.yml
var openAPIYAML []byte

// OpenAPIYAML returns the API description served at /openapi.yaml.
func OpenAPIYAML() []byte { return append([]byte(nil), openAPIYAML...) }

// openAPIJSON converts the embedded description to JSON.
func openAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("backupd: embedded OpenAPI description is not valid YAML: %w", err)
	}
	data, err := json.MarshalIndent(jsonable(doc), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("backupd: convert the OpenAPI description to JSON: %w", err)
	}
	return data, nil
}

// jsonable turns YAML maps with non-string keys (such as response codes
// written as numbers) into JSON objects.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonable(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonable(e)
		}
		return v
	}
	return v
}
