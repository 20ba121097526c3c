// Package arazzo is the Arazzo document model: a Go type for every object of
// Arazzo 1.0.x and 1.1.0, parsing from YAML or JSON with line and column
// positions, loading of source descriptions, reference resolution and
// validation.
//
// The model is plain data. Parsing keeps every value the author wrote, even
// when it is of the wrong type for the specification, so that validation can
// report it with a location instead of the parser failing on it.
package arazzo

import "github.com/go-arazzo/arazzo/internal/keyorder"

// Pos is a position in a source file. Line and Column are 1-based; the zero
// Pos means "unknown".
type Pos struct {
	Line   int
	Column int
}

// Position returns p itself; it lets every model object that embeds Pos
// satisfy the Positioned interface.
func (p Pos) Position() Pos { return p }

// Positioned is implemented by every model object.
type Positioned interface{ Position() Pos }

// Extensions holds the specification extensions (`x-…` fields) of an object,
// keyed by their full name, with values decoded to generic JSON values.
type Extensions map[string]any

// Document is an Arazzo Description: the root object.
type Document struct {
	Pos
	// Arazzo is the specification version the document declares ("1.0.1").
	Arazzo string
	// Self is the 1.1 `$self` URI-reference; empty when absent.
	Self               string
	Info               Info
	SourceDescriptions []*SourceDescription
	Workflows          []*Workflow
	Components         *Components
	Extensions         Extensions

	// Location is where the document was read from: a file path or an
	// http(s) URL. Relative source URLs resolve against it (or against Self).
	Location string
	// Raw is the whole document decoded to generic JSON values
	// (map[string]any, []any, string, float64, int, bool, nil); schema
	// validation runs on it.
	Raw any

	index *posIndex
	// members is the member order of every object in Raw.
	members *keyorder.Table
	// parseDiags are the diagnostics Parse reported; typeErrs holds the
	// pointers of values Parse already reported as of the wrong type, so
	// schema validation does not report them twice.
	parseDiags Diagnostics
	typeErrs   map[string]bool
	// resolveOnce guards in-place resolution of component references.
	resolved     bool
	resolveDiags Diagnostics
}

// Info is the Info Object.
type Info struct {
	Pos
	Title       string
	Summary     string
	Description string
	Version     string
	Extensions  Extensions
}

// Source description types.
const (
	SourceOpenAPI  = "openapi"
	SourceArazzo   = "arazzo"
	SourceAsyncAPI = "asyncapi"
)

// SourceDescription is a Source Description Object.
type SourceDescription struct {
	Pos
	Name       string
	URL        string
	Type       string // SourceOpenAPI, SourceArazzo, SourceAsyncAPI or "" (absent)
	Extensions Extensions
}

// Workflow is a Workflow Object.
type Workflow struct {
	Pos
	WorkflowID  string
	Summary     string
	Description string
	// Inputs is the JSON Schema of the workflow inputs as a generic JSON
	// value; nil when absent.
	Inputs         any
	DependsOn      []string
	Steps          []*Step
	SuccessActions []*Action
	FailureActions []*Action
	Outputs        []*Output
	Parameters     []*Parameter
	Extensions     Extensions
}

// Step is a Step Object.
type Step struct {
	Pos
	StepID        string
	Description   string
	OperationID   string
	OperationPath string
	WorkflowID    string
	ChannelPath   string // 1.1, AsyncAPI
	// XOperation is the `x-operation` extension (compatible with Redocly
	// Respect): a direct method + URL call instead of a described operation.
	XOperation      *XOperation
	Parameters      []*Parameter
	RequestBody     *RequestBody
	SuccessCriteria []*Criterion
	OnSuccess       []*Action
	OnFailure       []*Action
	Outputs         []*Output
	// Timeout is the 1.1 step timeout in milliseconds; 0 when absent.
	Timeout       int64
	CorrelationID string   // 1.1, AsyncAPI receive steps
	Action        string   // 1.1, AsyncAPI: "send" or "receive"
	DependsOn     []string // 1.1 step-level dependsOn
	Extensions    Extensions
}

// XOperation is the `x-operation` step extension: call Method on URL, where
// URL may contain runtime expressions in `{…}`.
type XOperation struct {
	Pos
	Method string
	URL    string
}

// Parameter locations.
const (
	InPath        = "path"
	InQuery       = "query"
	InQueryString = "querystring"
	InHeader      = "header"
	InCookie      = "cookie"
)

// Parameter is a Parameter Object, or a Reusable Object pointing at one in
// components. After reference resolution Name, In and Value hold the
// resolved parameter (with the reusable `value` override applied) and Ref
// still records the reference it came from.
type Parameter struct {
	Pos
	Name string
	In   string
	// Value is a constant (any JSON value), a string holding a runtime
	// expression or embedded `{$…}` expressions, or a *Selector (1.1).
	Value      any
	Ref        *Reusable
	Extensions Extensions
}

// Reusable is a Reusable Object: a reference to a component plus, for
// parameters, an override of its value.
type Reusable struct {
	Pos
	Reference string
	Value     any
	HasValue  bool
}

// Action types.
const (
	ActionEnd   = "end"
	ActionGoto  = "goto"
	ActionRetry = "retry"
)

// ActionKind tells a success action from a failure action; they share one
// Go type because they share almost every field.
type ActionKind int

const (
	SuccessAction ActionKind = iota
	FailureAction
)

// Action is a Success Action Object or a Failure Action Object, or a
// Reusable Object pointing at one (Ref set; after resolution the other
// fields are filled from the component).
type Action struct {
	Pos
	Kind       ActionKind
	Name       string
	Type       string // ActionEnd, ActionGoto, ActionRetry
	WorkflowID string
	StepID     string
	// RetryAfter is in seconds and may be fractional; nil when absent.
	RetryAfter *float64
	// RetryLimit is nil when absent (the engine's default applies).
	RetryLimit *int
	Criteria   []*Criterion
	Parameters []*Parameter // 1.1: inputs for a goto/retry workflow target
	Ref        *Reusable
	Extensions Extensions
}

// Criterion types.
const (
	CriterionSimple   = "simple"
	CriterionRegex    = "regex"
	CriterionJSONPath = "jsonpath"
	CriterionXPath    = "xpath"
	SelectorJSONPtr   = "jsonpointer"
)

// ExpressionType is a criterion or selector type: the plain string form
// (`type: jsonpath`) or the Expression Type Object form
// (`type: {type: jsonpath, version: rfc9535}`).
type ExpressionType struct {
	Pos
	Type    string
	Version string // "" when not given
	// Object is true when the Expression Type Object form was used.
	Object     bool
	Extensions Extensions
}

// Criterion is a Criterion Object.
type Criterion struct {
	Pos
	Context    string
	Condition  string
	Type       ExpressionType // Type.Type == "" means simple
	Extensions Extensions
}

// Selector is a 1.1 Selector Object.
type Selector struct {
	Pos
	Context    string
	Selector   string
	Type       ExpressionType
	Extensions Extensions
}

// Output is one entry of an `outputs` map; the order of the document is kept.
type Output struct {
	Pos
	Name string
	// Value is normally a string runtime expression; it may be a *Selector
	// (1.1), or a value of another type in a document that is invalid.
	Value any
}

// RequestBody is a Request Body Object.
type RequestBody struct {
	Pos
	ContentType  string
	Payload      any
	HasPayload   bool
	Replacements []*PayloadReplacement
	Extensions   Extensions
}

// PayloadReplacement is a Payload Replacement Object.
type PayloadReplacement struct {
	Pos
	Target             string
	TargetSelectorType ExpressionType
	Value              any
	Extensions         Extensions
}

// Components is the Components Object.
type Components struct {
	Pos
	Inputs         map[string]any
	Parameters     map[string]*Parameter
	SuccessActions map[string]*Action
	FailureActions map[string]*Action
	Extensions     Extensions
}

// Workflow returns the workflow with the given id, or nil.
func (d *Document) Workflow(id string) *Workflow {
	for _, w := range d.Workflows {
		if w.WorkflowID == id {
			return w
		}
	}
	return nil
}

// SourceDescription returns the source description with the given name, or nil.
func (d *Document) SourceDescription(name string) *SourceDescription {
	for _, s := range d.SourceDescriptions {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Step returns the step with the given id, or nil.
func (w *Workflow) Step(id string) *Step {
	for _, s := range w.Steps {
		if s.StepID == id {
			return s
		}
	}
	return nil
}

// StepIndex returns the index of the step with the given id, or -1.
func (w *Workflow) StepIndex(id string) int {
	for i, s := range w.Steps {
		if s.StepID == id {
			return i
		}
	}
	return -1
}
