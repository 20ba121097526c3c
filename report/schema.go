package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// RunSchema is the JSON Schema (draft 2020-12) of the JSON run report,
// also at report/schema/run-report.schema.json.
//
//go:embed schema/run-report.schema.json
var RunSchema []byte

const runSchemaURL = "https://github.com/go-arazzo/arazzo/report/schema/run-report.schema.json"

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(RunSchema))
	if err != nil {
		return nil, fmt.Errorf("run report schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(runSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("run report schema: %w", err)
	}
	return c.Compile(runSchemaURL)
})

// ValidateRun checks a JSON run report against RunSchema.
func ValidateRun(data []byte) error {
	sch, err := compiled()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("run report: not JSON: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("run report does not match its schema: %w", err)
	}
	return nil
}
