// Package expression parses and evaluates Arazzo runtime expressions
// ($inputs.x, $response.body#/a/0, …), strings with embedded expressions
// ("Bearer {$inputs.token}"), criteria (simple, regex, JSONPath, XPath) and
// 1.1 Selector Objects. Nothing here evaluates document text as code: every
// language is parsed by this package into an AST and walked by its own
// evaluator.
//
// The languages are documented in docs/semantics.md, which lists every choice
// made where the specification is silent.
package expression

// Kind is what a runtime expression refers to, before any JSON Pointer.
type Kind uint8

// Expression kinds. The comment shows the Ref fields each kind uses.
const (
	KindInvalid           Kind = iota
	KindURL                    // $url
	KindMethod                 // $method
	KindStatusCode             // $statusCode
	KindRequestHeader          // $request.header.Name        Ref.Name = header name as written
	KindRequestQuery           // $request.query.Name         Ref.Name
	KindRequestPath            // $request.path.Name          Ref.Name
	KindRequestBody            // $request.body               (pointer in Expr.Pointer)
	KindResponseHeader         // $response.header.Name       Ref.Name
	KindResponseBody           // $response.body
	KindMessageHeader          // $message.header.Name (1.1)  Ref.Name
	KindMessagePayload         // $message.payload / $message.body (1.1)
	KindInputs                 // $inputs.Name                Ref.Name
	KindOutputs                // $outputs.Name               Ref.Name
	KindStepOutputs            // $steps.ID.outputs.Name      Ref.ID, Ref.Name
	KindWorkflowInputs         // $workflows.ID.inputs.Name   Ref.ID, Ref.Name
	KindWorkflowOutputs        // $workflows.ID.outputs.Name  Ref.ID, Ref.Name
	KindSourceDescription      // $sourceDescriptions.Src.X   Ref.ID = Src, Ref.Name = X
	KindComponent              // $components.Type.Name       Ref.ID = Type, Ref.Name
	KindSelf                   // $self (1.1)
)

// Ref names the value an expression reads, without the JSON Pointer part.
// It is comparable and cheap to copy, so contexts can switch on it.
type Ref struct {
	Kind Kind
	ID   string
	Name string
}

// Context supplies the values expressions are evaluated against. The runner
// implements it over the running workflow; tests and embedders implement it
// over plain data.
//
// Values are generic JSON: nil, bool, int64, float64, string, []any,
// map[string]any (other Go numeric types are accepted too). A response or
// request body that is not JSON is a []byte or string; XPath and regex
// criteria read it as text.
type Context interface {
	// Value returns the value ref names and whether it exists. Header names
	// arrive as written; implementations compare them case-insensitively.
	Value(ref Ref) (any, bool)
}

// PointerResolver is an optional interface of a Context: one that can reach
// a JSON Pointer inside a value without building the whole value first. The
// runner implements it for response bodies, where `$response.body#/data/0/id`
// is found in the raw JSON bytes and only the value reached is decoded.
//
// An expression with a JSON Pointer asks ResolvePointer first; when it
// answers handled = false, the expression calls Value and walks the pointer
// itself, as it does for contexts without this method. An implementation
// that handles a pointer must give exactly what Value followed by that walk
// would give, found or not.
type PointerResolver interface {
	// ResolvePointer returns the value the decoded pointer tokens (never
	// empty) reach inside the value ref names, whether it exists, and
	// whether the resolver decided (handled) at all.
	ResolvePointer(ref Ref, pointer []string) (v any, found, handled bool)
}

// Options control parsing.
type Options struct {
	// Strict rejects the lenient forms found in published documents (dot
	// paths after a body or output, bare expressions inside longer strings,
	// double-quoted strings in simple conditions) instead of accepting them
	// with a warning.
	Strict bool
	// Version is the Arazzo version of the document ("1.0.1", "1.1.0"); it
	// selects the grammar. Empty means the newest.
	Version string
	// MemberOrder, when set, gives the written member order of the objects
	// CompileValue compiles (arazzo.Document.MemberOrder); the objects a
	// Value builds keep it (see MemberRecorder). Nil means sorted by name.
	MemberOrder func(obj map[string]any) []string
}

// MemberRecorder is implemented by a Context that wants the member order of
// the objects a Value builds while evaluated against it. Go maps have no
// order; an object in a document that holds expressions is evaluated into a
// new map, and RecordMembers gives that map's members in the order the
// document wrote them (a caller that serializes it, as the runner does for
// parameters and bodies, can keep that order). keys must not be modified.
type MemberRecorder interface {
	RecordMembers(obj map[string]any, keys []string)
}

// Warning is a non-fatal finding while parsing: a lenient form was
// accepted. Column is 1-based within the parsed text.
type Warning struct {
	Column  int
	Code    string // stable id, e.g. "dot-path", "bare-expression", "double-quoted-string"
	Message string // says what was accepted and shows the portable form
}

// SyntaxError is a parse failure at a position of the input.
type SyntaxError struct {
	Input  string
	Column int // 1-based
	Msg    string
}

func (e *SyntaxError) Error() string { return "column " + itoa(e.Column) + ": " + e.Msg }

// Expr is a parsed runtime expression.
type Expr struct {
	Ref
	// Pointer holds the decoded JSON Pointer reference tokens; nil when the
	// expression has none.
	Pointer []string
	// Text is the expression as written.
	Text string

	// idx holds, per Pointer token, its array index or -1 when the token is
	// not an array index; computed once so evaluation does not parse.
	idx []int
	// alts are further readings tried in order when this one names nothing
	// (lenient mode: "$inputs.a.b" also means "$inputs.a#/b").
	alts []*Expr
	// col is the 1-based column of the expression in the text it was found
	// in (a template or condition); 1 for Parse.
	col int
}

// Template is a parsed string value: either exactly one runtime expression
// (whole-value), an expression string with `{$…}` embedded expressions, or
// plain text.
type Template struct {
	text  string
	whole *Expr  // set for a whole-value expression
	parts []part // literal text and embedded expressions, in order
	exprs []*Expr
}

// Value is a compiled document value of any JSON shape (a parameter value, a
// request payload, an output): every string in it is a Template, maps and
// slices are walked, Selector Objects (1.1, given as *SelectorSpec leaves) are
// compiled.
type Value struct {
	root  valueNode
	exprs []*Expr
}

// Criterion types.
const (
	TypeSimple      = "simple"
	TypeRegex       = "regex"
	TypeJSONPath    = "jsonpath"
	TypeXPath       = "xpath"
	TypeJSONPointer = "jsonpointer"
)

// CriterionSpec is a Criterion Object as data.
type CriterionSpec struct {
	Context   string // runtime expression; required for regex, jsonpath, xpath
	Condition string
	Type      string // "" means simple
	Version   string // Expression Type Object version; "" means the default
}

// Criterion is a compiled criterion, safe for concurrent use.
type Criterion struct {
	spec    CriterionSpec
	label   string // Outcome.Condition
	context *Expr  // nil for a simple criterion without context
	eval    criterionEval
	exprs   []*Expr
	err     error // set when compilation failed: every evaluation fails with it
}

// Outcome is the verdict of one criterion evaluation.
type Outcome struct {
	Passed bool
	// Condition is the criterion as written (type-prefixed when not simple).
	Condition string
	// Explanation tells what was compared, with resolved values:
	// `$response.body#/data/0/status` = "running", expected "completed".
	Explanation string
	// Err is set when evaluation failed (the criterion then did not pass).
	Err error
}

// SelectorSpec is a 1.1 Selector Object as data.
type SelectorSpec struct {
	Context  string
	Selector string
	Type     string // jsonpath, xpath, jsonpointer
	Version  string
}

// Selector is a compiled Selector Object.
type Selector struct {
	spec    SelectorSpec
	context *Expr
	kind    string // TypeJSONPath, TypeXPath or TypeJSONPointer
	ptr     *Expr  // for jsonpointer: the pointer, evaluated on the context value
	path    *jsonPathQuery
	xpath   string
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
