package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/go-arazzo/arazzo/arazzo"
)

// inputSchema is a workflow's compiled inputs schema plus the resolved
// top-level object schema, for defaults, coercion and secret detection.
type inputSchema struct {
	schema *jsonschema.Schema
	// props maps each top-level property to its (ref-resolved) schema.
	props    map[string]map[string]any
	required []string
	secret   []string // sorted names of inputs marked secret
}

const docURL = "arazzo:///document.json"

// compileInputs compiles w's inputs schema. The whole document is the
// schema resource, so `$ref: '#/components/inputs/x'` resolves.
func compileInputs(doc *arazzo.Document, w *arazzo.Workflow) (*inputSchema, error) {
	if w.Inputs == nil {
		return nil, nil
	}
	idx := -1
	for i, x := range doc.Workflows {
		if x == w {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("workflow not in its document")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(docURL, schemaResource(doc.Raw)); err != nil {
		return nil, err
	}
	sch, err := c.Compile(fmt.Sprintf("%s#/workflows/%d/inputs", docURL, idx))
	if err != nil {
		return nil, err
	}
	is := &inputSchema{schema: sch, props: map[string]map[string]any{}}
	for _, p := range doc.InputProperties(w) {
		if p.Schema != nil {
			is.props[p.Name] = p.Schema
		}
		if p.Required {
			is.required = append(is.required, p.Name)
		}
		if p.Sensitive() {
			is.secret = append(is.secret, p.Name)
		}
	}
	sort.Strings(is.secret)
	return is, nil
}

// schemaResource is the document as a schema resource. A top-level
// `$schema` names the Arazzo document's own schema (published documents
// often carry one), not the dialect of the inputs schemas inside it, so it
// is dropped.
func schemaResource(raw any) any {
	m, ok := raw.(map[string]any)
	if !ok {
		return raw
	}
	if _, has := m["$schema"]; !has {
		return raw
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "$schema" {
			out[k] = v
		}
	}
	return out
}

// noLoader refuses remote schema loads: input schemas may only refer
// inside the document (and to the built-in meta-schemas).
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("refusing to load %s: inputs schemas may only use local $refs", url)
}

// InputError is a set of inputs that failed the workflow's schema.
type InputError struct {
	WorkflowID string
	Problems   []string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid inputs for workflow %s: %s", e.WorkflowID, strings.Join(e.Problems, "; "))
}

// prepareInputs applies defaults and validates inputs against the schema.
func (cw *cworkflow) prepareInputs(given map[string]any) (map[string]any, error) {
	in := make(map[string]any, len(given)+4)
	for k, v := range given {
		in[k] = v
	}
	is := cw.inputs
	if is == nil {
		return in, nil
	}
	for name, ps := range is.props {
		if _, ok := in[name]; ok {
			continue
		}
		if d, ok := ps["default"]; ok {
			in[name] = d
		}
	}
	if err := is.schema.Validate(map[string]any(in)); err != nil {
		ie := &InputError{WorkflowID: cw.id}
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			ie.Problems = leafMessages(ve)
		} else {
			ie.Problems = []string{err.Error()}
		}
		return in, ie
	}
	return in, nil
}

var printer = message.NewPrinter(language.English)

// leafMessages flattens a validation error tree into readable lines such as
// `input "databaseId": missing property` .
func leafMessages(ve *jsonschema.ValidationError) []string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			where := "inputs"
			if len(e.InstanceLocation) > 0 {
				where = "input " + strconv.Quote(strings.Join(e.InstanceLocation, "/"))
			}
			out = append(out, where+": "+e.ErrorKind.LocalizedString(printer))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(out)
	return out
}

// coerce converts a command-line string to the type the input's schema
// declares; a value that does not convert stays a string, and validation
// then says what is wrong with it.
func (is *inputSchema) coerce(name, text string) any {
	if is == nil {
		return text
	}
	ps := is.props[name]
	typ, _ := ps["type"].(string)
	if types, ok := ps["type"].([]any); ok {
		for _, t := range types {
			if s, ok := t.(string); ok && s != "null" {
				typ = s
				break
			}
		}
	}
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64); err == nil {
			return n
		}
	case "number":
		if f, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil {
			return f
		}
	case "boolean":
		if b, err := strconv.ParseBool(strings.TrimSpace(text)); err == nil {
			return b
		}
	case "object", "array":
		var v any
		if err := json.Unmarshal([]byte(text), &v); err == nil {
			return v
		}
	case "null":
		if text == "" || text == "null" {
			return nil
		}
	}
	return text
}

// sensitive lists inputs whose schema marks them secret: format password,
// writeOnly, or x-sensitive.
func (is *inputSchema) sensitive() []string {
	if is == nil {
		return nil
	}
	return is.secret
}
