package arazzo

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The official Arazzo JSON Schemas (OAI/Arazzo-Specification), carried in
// the binary so that validation needs no network.
//
//go:embed schemas/arazzo-1.0.schema.yaml schemas/arazzo-1.1.schema.yaml
var schemaFS embed.FS

var (
	schemaOnces = map[string]*schemaOnce{"1.0": {}, "1.1": {}}
	printer     = message.NewPrinter(language.English)
)

// schemaOnce is the compiled schema of one minor version.
type schemaOnce struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

// compiledSchema returns the compiled schema for "1.0" or "1.1". Compiling
// costs tens of milliseconds (most of a CLI run's start-up), so it happens
// once per process and only for the versions actually validated.
func compiledSchema(minor string) (*jsonschema.Schema, error) {
	so := schemaOnces[minor]
	if so == nil {
		return nil, fmt.Errorf("no embedded Arazzo schema for version %s (known: 1.0, 1.1)", minor)
	}
	so.once.Do(func() { so.schema, so.err = compileSchema(minor) })
	return so.schema, so.err
}

func compileSchema(m string) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	// The 2020-12 meta-schema that inline `schema` fields $ref is built
	// into the library; the default loader is replaced so that nothing
	// is ever read from disk or the network.
	c.UseLoader(noLoader{})
	c.UseRegexpEngine(lookaheadRegexp)
	data, err := schemaFS.ReadFile("schemas/arazzo-" + m + ".schema.yaml")
	if err != nil {
		return nil, err
	}
	root, _, _, diags := decodeYAML("arazzo-"+m+".schema.yaml", data)
	if root == nil {
		return nil, diags
	}
	url := "https://spec.openapis.org/arazzo/" + m + "/schema/embedded"
	if err := c.AddResource(url, root.raw); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// lookaheadRegexp extends Go's regexp with the one ECMA-262 construct the
// 1.1 schema uses that RE2 lacks: a leading negative lookahead, as in
// `^(?!\$).+$`. It is matched as "the lookahead part does not match at
// the start, and the rest does".
func lookaheadRegexp(pattern string) (jsonschema.Regexp, error) {
	if rest, ok := strings.CutPrefix(pattern, "^(?!"); ok {
		depth := 1
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					not, err := regexp.Compile("^(?:" + rest[:i] + ")")
					if err != nil {
						return nil, err
					}
					re, err := regexp.Compile("^" + rest[i+1:])
					if err != nil {
						return nil, err
					}
					return negLookahead{pattern, not, re}, nil
				}
			}
		}
	}
	return regexp.Compile(pattern)
}

type negLookahead struct {
	src     string
	not, re *regexp.Regexp
}

func (n negLookahead) String() string { return n.src }

func (n negLookahead) MatchString(s string) bool { return !n.not.MatchString(s) && n.re.MatchString(s) }

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded; arazzo validation loads no schemas from outside", url)
}

// validateSchema validates the document's raw form against the official
// schema of its version and returns one diagnostic per leaf cause.
func validateSchema(d *Document) []schemaDiag {
	sch, err := compiledSchema(d.Minor())
	if err != nil {
		return []schemaDiag{{Diagnostic: Diagnostic{Severity: SeverityError, Rule: "schema", File: d.Location, Pos: d.Pos,
			Message: "internal error: cannot compile the embedded Arazzo schema: " + err.Error()}}}
	}
	err = sch.Validate(d.Raw)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []schemaDiag{{Diagnostic: Diagnostic{Severity: SeverityError, Rule: "schema", File: d.Location, Pos: d.Pos, Message: err.Error()}}}
	}
	var leaves []*jsonschema.ValidationError
	collectLeaves(ve, &leaves)
	// unevaluatedProperties: false flags every property of an object once
	// any branch of its schema failed, so "not allowed here" is only worth
	// saying for objects that have no other error.
	other := map[string]bool{}
	for _, l := range leaves {
		if _, ok := l.ErrorKind.(*kind.FalseSchema); !ok {
			for p := jsonPtr(l.InstanceLocation); ; p = p[:strings.LastIndexByte(p, '/')] {
				other[p] = true
				if p == "" {
					break
				}
			}
		}
	}
	var out []schemaDiag
	seen := map[string]bool{}
	for _, l := range leaves {
		_, unevaluated := l.ErrorKind.(*kind.FalseSchema)
		if unevaluated && len(l.InstanceLocation) > 0 && other[jsonPtr(l.InstanceLocation[:len(l.InstanceLocation)-1])] {
			continue
		}
		ptr := jsonPtr(l.InstanceLocation)
		msg := leafMessage(l)
		key := ptr + "\x00" + msg
		if seen[key] || d.typeErrs[ptr] {
			continue
		}
		if _, isType := l.ErrorKind.(*kind.Type); isType && d.typeErrs[ptr] {
			continue
		}
		seen[key] = true
		out = append(out, schemaDiag{Diagnostic: Diagnostic{Severity: SeverityError, Rule: "schema", File: d.Location, Pos: d.Locate(ptr), Path: ptr,
			Message: where(ptr) + msg, Hint: "see the Arazzo " + d.Minor() + " specification for this object's fields"}, unevaluated: unevaluated})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}

// schemaDiag is a schema finding; unevaluated marks "field not allowed"
// findings, which a semantic finding on an enclosing object explains.
type schemaDiag struct {
	Diagnostic
	unevaluated bool
}

func where(ptr string) string {
	if ptr == "" {
		return "document: "
	}
	return ptr + ": "
}

func jsonPtr(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapePtr(t))
	}
	return b.String()
}

// collectLeaves keeps the causes a reader can act on. Where oneOf/anyOf
// failed in every branch, only the branch that got furthest into the
// document (deepest instance location, then fewest errors) is kept: the
// others are usually "this is not that other kind of object" noise.
func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	if len(e.Causes) == 0 {
		switch e.ErrorKind.(type) {
		case *kind.Schema, *kind.Reference, *kind.Group, *kind.AllOf:
			return
		}
		*out = append(*out, e)
		return
	}
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
		best, bestDepth, bestN := -1, -1, 0
		for i, c := range e.Causes {
			var ls []*jsonschema.ValidationError
			collectLeaves(c, &ls)
			depth := 0
			for _, l := range ls {
				depth = max(depth, len(l.InstanceLocation))
				// A Reusable Object branch on an object without
				// `reference` is never what the author meant.
				if r, ok := l.ErrorKind.(*kind.Required); ok && len(r.Missing) == 1 && r.Missing[0] == "reference" {
					depth = -1
					break
				}
			}
			// A branch that fails only on `required` did not match the
			// object's shape at all; prefer branches that failed deeper.
			if depth > bestDepth || depth == bestDepth && len(ls) < bestN {
				best, bestDepth, bestN = i, depth, len(ls)
			}
		}
		if best >= 0 {
			if _, ok := e.ErrorKind.(*kind.OneOf); ok && len(e.Causes) > 1 && bestDepth <= len(e.InstanceLocation) {
				// No branch got past the object itself: say so plainly.
				*out = append(*out, e)
				return
			}
			collectLeaves(e.Causes[best], out)
		}
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

func leafMessage(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.OneOf:
		return "does not match exactly one of the allowed forms (" + describeOneOf(e) + ")"
	case *kind.AnyOf:
		return "does not match any of the allowed forms"
	case *kind.FalseSchema:
		return "this field is not allowed here"
	case *kind.AdditionalProperties:
		return fmt.Sprintf("unknown field(s) %s (only the specification's fields and x- extensions are allowed)", quoteList(k.Properties))
	}
	return e.ErrorKind.LocalizedString(printer)
}

func describeOneOf(e *jsonschema.ValidationError) string {
	var reqs []string
	for _, c := range e.Causes {
		var ls []*jsonschema.ValidationError
		collectLeaves(c, &ls)
		for _, l := range ls {
			if r, ok := l.ErrorKind.(*kind.Required); ok {
				reqs = append(reqs, r.Missing...)
			}
		}
	}
	if len(reqs) > 0 {
		return "it needs one of " + quoteList(dedupe(reqs))
	}
	return fmt.Sprintf("%d alternatives", len(e.Causes))
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = "`" + x + "`"
	}
	return strings.Join(q, ", ")
}
