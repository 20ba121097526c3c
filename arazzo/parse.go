package arazzo

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// SupportedVersions lists the Arazzo versions this package reads. As the
// specification asks, only major.minor selects the feature set: any 1.0.x
// or 1.1.x is read as 1.0 or 1.1.
var SupportedVersions = []string{"1.0.0", "1.0.1", "1.1.0"}

// Parse reads an Arazzo document from YAML or JSON. location names the
// document in diagnostics and is the base for its relative references.
//
// Parse never fails on the content of a well-formed document: values of the
// wrong type are kept where the model allows any value, and reported as
// diagnostics. The returned Document is nil only when data is not a
// well-formed YAML/JSON mapping (empty, malformed, too large or too deep, or
// a top-level value that is not an object); the diagnostics then say why.
func Parse(location string, data []byte) (*Document, Diagnostics) {
	root, index, members, diags := decodeYAML(location, data)
	if root == nil {
		return nil, diags
	}
	if root.kind != jObj {
		diags = append(diags, Diagnostic{Severity: SeverityError, Rule: "not-an-object", File: location, Pos: root.pos,
			Message: fmt.Sprintf("an Arazzo document must be an object, not %s", article(root.kind)),
			Hint:    "start the document with `arazzo: 1.0.1` and the other top-level fields"})
		return nil, diags
	}
	b := &builder{file: location, typeErrs: map[string]bool{}}
	doc := b.document(root)
	doc.Location = location
	doc.Raw = root.raw
	doc.index = &posIndex{byPointer: index}
	doc.members = members
	diags = append(diags, b.diags...)
	doc.parseDiags = diags
	doc.typeErrs = b.typeErrs
	return doc, diags
}

// Minor returns "1.0" or "1.1": the feature set the document's version
// selects. Unknown versions read as the newest.
func (d *Document) Minor() string {
	if strings.HasPrefix(d.Arazzo, "1.0.") || d.Arazzo == "1.0" {
		return "1.0"
	}
	return "1.1"
}

type builder struct {
	file     string
	v11      bool
	diags    Diagnostics
	typeErrs map[string]bool
}

func (b *builder) typeErr(n *jnode, want string) {
	b.typeErrs[n.ptr] = true
	b.diags = append(b.diags, Diagnostic{Severity: SeverityError, Rule: "type-mismatch", File: b.file, Pos: n.pos, Path: n.ptr,
		Message: fmt.Sprintf("%s must be %s, not %s", fieldName(n.ptr), want, n.kind),
		Hint:    "change the value's type; quote it if it is meant to be a string"})
}

// fieldName renders the tail of a pointer for messages: "workflowId" or
// "steps[2]".
func fieldName(ptr string) string {
	parts := strings.Split(ptr, "/")
	if len(parts) <= 1 {
		return "the document"
	}
	last := unescapePtr(parts[len(parts)-1])
	if len(parts) > 2 && last != "" && last[0] >= '0' && last[0] <= '9' {
		return unescapePtr(parts[len(parts)-2]) + "[" + last + "]"
	}
	return "`" + last + "`"
}

// str returns a string field; a scalar of another type is kept as written
// (so `version: 1.0` still reads "1.0") and reported.
func (b *builder) str(n *jnode) string {
	if n == nil {
		return ""
	}
	switch n.kind {
	case jStr:
		return n.text
	case jNum, jBool:
		b.typeErr(n, "a string")
		return n.text
	case jNull:
		b.typeErr(n, "a string")
		return ""
	}
	b.typeErr(n, "a string")
	return ""
}

func (b *builder) obj(n *jnode) bool {
	if n == nil {
		return false
	}
	if n.kind != jObj {
		b.typeErr(n, "an object")
		return false
	}
	return true
}

func (b *builder) arr(n *jnode) []*jnode {
	if n == nil {
		return nil
	}
	if n.kind != jArr {
		b.typeErr(n, "an array")
		return nil
	}
	return n.items
}

func (b *builder) strs(n *jnode) []string {
	var out []string
	for _, it := range b.arr(n) {
		out = append(out, b.str(it))
	}
	return out
}

func (b *builder) num(n *jnode) (float64, bool) {
	if n == nil {
		return 0, false
	}
	switch v := n.raw.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	b.typeErr(n, "a number")
	return 0, false
}

func (b *builder) integer(n *jnode) (int64, bool) {
	f, ok := b.num(n)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		b.typeErr(n, "an integer")
		return 0, false
	}
	return int64(f), true
}

func (b *builder) ext(n *jnode) Extensions {
	var e Extensions
	if n == nil || n.kind != jObj {
		return nil
	}
	for i, k := range n.keys {
		if strings.HasPrefix(k, "x-") {
			if e == nil {
				e = Extensions{}
			}
			e[k] = n.vals[i].raw
		}
	}
	return e
}

// clip shortens a value quoted in a message: a hostile document must not
// turn one diagnostic into megabytes of output.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
}

func (b *builder) document(n *jnode) *Document {
	d := &Document{Pos: n.pos}
	av := n.get("arazzo")
	switch {
	case av == nil:
		b.diags = append(b.diags, Diagnostic{Severity: SeverityError, Rule: "version-unsupported", File: b.file, Pos: n.pos,
			Message: "the `arazzo` field is missing", Hint: "add `arazzo: 1.0.1` (supported versions: " + strings.Join(SupportedVersions, ", ") + ")"})
	case av.kind != jStr:
		b.typeErrs[av.ptr] = true
		d.Arazzo = av.text
		b.diags = append(b.diags, Diagnostic{Severity: SeverityError, Rule: "version-unsupported", File: b.file, Pos: av.pos, Path: av.ptr,
			Message: strings.TrimSpace(fmt.Sprintf("`arazzo` must be a version string, not %s %s", av.kind, clip(av.text))),
			Hint:    "quote the version: arazzo: \"1.0.1\" (supported versions: " + strings.Join(SupportedVersions, ", ") + ")"})
	default:
		d.Arazzo = av.text
		if !versionSupported(d.Arazzo) {
			b.diags = append(b.diags, Diagnostic{Severity: SeverityError, Rule: "version-unsupported", File: b.file, Pos: av.pos, Path: av.ptr,
				Message: fmt.Sprintf("unsupported Arazzo version %q; supported versions are %s", clip(d.Arazzo), strings.Join(SupportedVersions, ", ")),
				Hint:    "set `arazzo` to one of the supported versions"})
		}
	}
	b.v11 = d.Minor() == "1.1"
	if s := n.get("$self"); s != nil {
		d.Self = b.str(s)
	}
	if info := n.get("info"); b.obj(info) {
		d.Info = Info{Pos: info.pos, Title: b.str(info.get("title")), Summary: b.str(info.get("summary")),
			Description: b.str(info.get("description")), Version: b.str(info.get("version")), Extensions: b.ext(info)}
	}
	for _, s := range b.arr(n.get("sourceDescriptions")) {
		if !b.obj(s) {
			continue
		}
		d.SourceDescriptions = append(d.SourceDescriptions, &SourceDescription{Pos: s.pos, Name: b.str(s.get("name")),
			URL: b.str(s.get("url")), Type: b.str(s.get("type")), Extensions: b.ext(s)})
	}
	for _, w := range b.arr(n.get("workflows")) {
		if b.obj(w) {
			d.Workflows = append(d.Workflows, b.workflow(w))
		}
	}
	if c := n.get("components"); b.obj(c) {
		d.Components = b.components(c)
	}
	d.Extensions = b.ext(n)
	return d
}

func versionSupported(v string) bool {
	for _, p := range []string{"1.0.", "1.1."} {
		if rest, ok := strings.CutPrefix(v, p); ok && rest != "" {
			// Patch digits, optionally followed by a pre-release suffix.
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			return i > 0 && (i == len(rest) || rest[i] == '-')
		}
	}
	return false
}

func (b *builder) workflow(n *jnode) *Workflow {
	w := &Workflow{Pos: n.pos, WorkflowID: b.str(n.get("workflowId")), Summary: b.str(n.get("summary")),
		Description: b.str(n.get("description")), DependsOn: b.strs(n.get("dependsOn")), Extensions: b.ext(n)}
	if in := n.get("inputs"); in != nil {
		w.Inputs = in.raw
	}
	for _, s := range b.arr(n.get("steps")) {
		if b.obj(s) {
			w.Steps = append(w.Steps, b.step(s))
		}
	}
	w.SuccessActions = b.actions(n.get("successActions"), SuccessAction)
	w.FailureActions = b.actions(n.get("failureActions"), FailureAction)
	w.Outputs = b.outputs(n.get("outputs"))
	w.Parameters = b.params(n.get("parameters"))
	return w
}

func (b *builder) step(n *jnode) *Step {
	s := &Step{Pos: n.pos, StepID: b.str(n.get("stepId")), Description: b.str(n.get("description")),
		OperationID: b.str(n.get("operationId")), OperationPath: b.str(n.get("operationPath")),
		WorkflowID: b.str(n.get("workflowId")), ChannelPath: b.str(n.get("channelPath")),
		CorrelationID: b.str(n.get("correlationId")), Action: b.str(n.get("action")),
		DependsOn: b.strs(n.get("dependsOn")), Extensions: b.ext(n)}
	if x := n.get("x-operation"); b.obj(x) {
		s.XOperation = &XOperation{Pos: x.pos, Method: b.str(x.get("method")), URL: b.str(x.get("url"))}
	}
	s.Parameters = b.params(n.get("parameters"))
	if rb := n.get("requestBody"); b.obj(rb) {
		s.RequestBody = &RequestBody{Pos: rb.pos, ContentType: b.str(rb.get("contentType")), Extensions: b.ext(rb)}
		if p := rb.get("payload"); p != nil {
			s.RequestBody.Payload, s.RequestBody.HasPayload = b.value(p), true
		}
		for _, r := range b.arr(rb.get("replacements")) {
			if !b.obj(r) {
				continue
			}
			pr := &PayloadReplacement{Pos: r.pos, Target: b.str(r.get("target")), Extensions: b.ext(r)}
			pr.TargetSelectorType = b.exprType(r.get("targetSelectorType"))
			if v := r.get("value"); v != nil {
				pr.Value = b.value(v)
			}
			s.RequestBody.Replacements = append(s.RequestBody.Replacements, pr)
		}
	}
	s.SuccessCriteria = b.criteria(n.get("successCriteria"))
	s.OnSuccess = b.actions(n.get("onSuccess"), SuccessAction)
	s.OnFailure = b.actions(n.get("onFailure"), FailureAction)
	s.Outputs = b.outputs(n.get("outputs"))
	if t := n.get("timeout"); t != nil {
		s.Timeout, _ = b.integer(t)
	}
	return s
}

func (b *builder) reusable(n *jnode) *Reusable {
	r := &Reusable{Pos: n.pos, Reference: b.str(n.get("reference"))}
	if v := n.get("value"); v != nil {
		r.Value, r.HasValue = b.value(v), true
	}
	return r
}

func (b *builder) params(n *jnode) []*Parameter {
	var out []*Parameter
	for _, p := range b.arr(n) {
		if !b.obj(p) {
			continue
		}
		if p.get("reference") != nil {
			out = append(out, &Parameter{Pos: p.pos, Ref: b.reusable(p)})
			continue
		}
		out = append(out, b.param(p))
	}
	return out
}

func (b *builder) param(p *jnode) *Parameter {
	par := &Parameter{Pos: p.pos, Name: b.str(p.get("name")), In: b.str(p.get("in")), Extensions: b.ext(p)}
	if v := p.get("value"); v != nil {
		par.Value = b.value(v)
	}
	return par
}

func (b *builder) actions(n *jnode, kind ActionKind) []*Action {
	var out []*Action
	for _, a := range b.arr(n) {
		if !b.obj(a) {
			continue
		}
		if a.get("reference") != nil {
			out = append(out, &Action{Pos: a.pos, Kind: kind, Ref: b.reusable(a)})
			continue
		}
		out = append(out, b.action(a, kind))
	}
	return out
}

func (b *builder) action(a *jnode, kind ActionKind) *Action {
	act := &Action{Pos: a.pos, Kind: kind, Name: b.str(a.get("name")), Type: b.str(a.get("type")),
		WorkflowID: b.str(a.get("workflowId")), StepID: b.str(a.get("stepId")), Extensions: b.ext(a)}
	if v := a.get("retryAfter"); v != nil {
		if f, ok := b.num(v); ok {
			act.RetryAfter = &f
		}
	}
	if v := a.get("retryLimit"); v != nil {
		if i, ok := b.integer(v); ok {
			n := int(i)
			act.RetryLimit = &n
		}
	}
	act.Criteria = b.criteria(a.get("criteria"))
	act.Parameters = b.params(a.get("parameters"))
	return act
}

func (b *builder) criteria(n *jnode) []*Criterion {
	var out []*Criterion
	for _, c := range b.arr(n) {
		if !b.obj(c) {
			continue
		}
		out = append(out, &Criterion{Pos: c.pos, Context: b.str(c.get("context")), Condition: b.str(c.get("condition")),
			Type: b.exprType(c.get("type")), Extensions: b.ext(c)})
	}
	return out
}

func (b *builder) exprType(n *jnode) ExpressionType {
	if n == nil {
		return ExpressionType{}
	}
	if n.kind == jObj {
		return ExpressionType{Pos: n.pos, Type: b.str(n.get("type")), Version: b.str(n.get("version")), Object: true, Extensions: b.ext(n)}
	}
	return ExpressionType{Pos: n.pos, Type: b.str(n)}
}

func (b *builder) outputs(n *jnode) []*Output {
	if !b.obj(n) {
		return nil
	}
	out := make([]*Output, 0, len(n.keys))
	for i, k := range n.keys {
		out = append(out, &Output{Pos: n.kpos[i], Name: k, Value: b.value(n.vals[i])})
	}
	return out
}

// value returns the generic value of n; in a 1.1 document, Selector Objects
// anywhere inside it become *Selector.
func (b *builder) value(n *jnode) any {
	if !b.v11 || !hasSelector(n) {
		return n.raw
	}
	switch n.kind {
	case jObj:
		if isSelector(n) {
			return &Selector{Pos: n.pos, Context: b.str(n.get("context")), Selector: b.str(n.get("selector")),
				Type: b.exprType(n.get("type")), Extensions: b.ext(n)}
		}
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = b.value(n.vals[i])
		}
		return m
	case jArr:
		s := make([]any, len(n.items))
		for i, it := range n.items {
			s[i] = b.value(it)
		}
		return s
	}
	return n.raw
}

// isSelector reports whether n has exactly the Selector Object fields
// context, selector and type (plus extensions).
func isSelector(n *jnode) bool {
	if n.kind != jObj {
		return false
	}
	found := 0
	for _, k := range n.keys {
		switch {
		case k == "context" || k == "selector" || k == "type":
			found++
		case strings.HasPrefix(k, "x-"):
		default:
			return false
		}
	}
	return found == 3
}

func hasSelector(n *jnode) bool {
	switch n.kind {
	case jObj:
		if isSelector(n) {
			return true
		}
		for _, v := range n.vals {
			if hasSelector(v) {
				return true
			}
		}
	case jArr:
		for _, v := range n.items {
			if hasSelector(v) {
				return true
			}
		}
	}
	return false
}

func (b *builder) components(n *jnode) *Components {
	c := &Components{Pos: n.pos, Extensions: b.ext(n)}
	if in := n.get("inputs"); b.obj(in) {
		c.Inputs = make(map[string]any, len(in.keys))
		for i, k := range in.keys {
			c.Inputs[k] = in.vals[i].raw
		}
	}
	if ps := n.get("parameters"); b.obj(ps) {
		c.Parameters = make(map[string]*Parameter, len(ps.keys))
		for i, k := range ps.keys {
			if b.obj(ps.vals[i]) {
				p := b.param(ps.vals[i])
				p.Pos = ps.kpos[i]
				c.Parameters[k] = p
			}
		}
	}
	for _, f := range []struct {
		key  string
		kind ActionKind
		dst  *map[string]*Action
	}{{"successActions", SuccessAction, &c.SuccessActions}, {"failureActions", FailureAction, &c.FailureActions}} {
		as := n.get(f.key)
		if !b.obj(as) {
			continue
		}
		*f.dst = make(map[string]*Action, len(as.keys))
		for i, k := range as.keys {
			if b.obj(as.vals[i]) {
				a := b.action(as.vals[i], f.kind)
				a.Pos = as.kpos[i]
				(*f.dst)[k] = a
			}
		}
	}
	return c
}

func article(k jkind) string {
	if k == jObj || k == jArr {
		return "an " + k.String()
	}
	return "a " + k.String()
}
