// Package apidoc serves the example services' OpenAPI descriptions: each
// service embeds its YAML description and serves it as JSON too.
package apidoc

import (
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// JSON converts an OpenAPI description written in YAML to indented JSON.
func JSON(yamlDoc []byte) ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(yamlDoc, &doc); err != nil {
		return nil, fmt.Errorf("embedded OpenAPI description is not valid YAML: %w", err)
	}
	data, err := json.MarshalIndent(jsonable(doc), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("convert the OpenAPI description to JSON: %w", err)
	}
	return data, nil
}

// jsonable turns YAML maps with non-string keys (response codes written as
// numbers) into JSON objects.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
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
	}
	return v
}
