package arazzo

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/go-arazzo/arazzo/expression"
)

// ValidateOptions configure Validate.
type ValidateOptions struct {
	// NoSchema skips validation against the official JSON Schema.
	NoSchema bool
	// Strict parses runtime expressions strictly: the lenient forms found in
	// published documents are errors instead of warnings.
	Strict bool
	// Disable lists rule ids whose diagnostics are dropped.
	Disable []string
}

// ErrSourceNotLoaded is wrapped by lookup errors caused by a source
// description that could not be loaded (Load reported why).
var ErrSourceNotLoaded = errors.New("source description not loaded")

// ValidateDocument validates a document on its own: the schema and every
// rule that needs no source descriptions.
func ValidateDocument(d *Document, opts ValidateOptions) Diagnostics {
	if d == nil {
		return nil
	}
	return Validate(&Bundle{Document: d}, opts)
}

// Validate checks a loaded document against the JSON Schema of its version
// and the rules of the specification the schema cannot express, and warns
// about likely mistakes. Rules that need the source descriptions
// (operation-exists, path-parameter-required, …) run only for sources that
// were loaded; Load already reported the ones that were not.
//
// Parse and Load diagnostics are not repeated. The result is sorted by
// position. On a Document that did not come from Load, Validate first
// resolves component references in place, so it must not run concurrently
// with other uses of that Document; after Load it only reads.
func Validate(b *Bundle, opts ValidateOptions) Diagnostics {
	if b == nil || b.Document == nil {
		return nil
	}
	d := b.Document
	c := &checker{b: b, d: d, opts: expression.Options{Strict: opts.Strict, Version: d.Arazzo}}
	c.diags = append(c.diags, d.resolveComponents()...)
	c.run()
	var out Diagnostics
	if !opts.NoSchema {
		sem := map[string]bool{}
		for _, x := range c.diags {
			if x.Severity == SeverityError {
				sem[x.Path] = true
			}
		}
		for _, x := range validateSchema(d) {
			if sem[x.Path] || c.quietSchema[x.Path] || parseReported(d, x.Path) || x.unevaluated && underAny(x.Path, sem) {
				continue
			}
			out = append(out, x.Diagnostic)
		}
	}
	out = append(out, c.diags...)
	if len(opts.Disable) > 0 {
		off := map[string]bool{}
		for _, r := range opts.Disable {
			off[r] = true
		}
		kept := out[:0]
		for _, x := range out {
			if !off[x.Rule] {
				kept = append(kept, x)
			}
		}
		out = kept
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}

// underAny reports whether ptr is inside one of the objects in set.
func underAny(ptr string, set map[string]bool) bool {
	for i := strings.LastIndexByte(ptr, '/'); i >= 0; i = strings.LastIndexByte(ptr, '/') {
		ptr = ptr[:i]
		if set[ptr] {
			return true
		}
	}
	return false
}

func parseReported(d *Document, ptr string) bool {
	for _, p := range d.parseDiags {
		if p.Path == ptr && p.Severity == SeverityError {
			return true
		}
	}
	return false
}

type checker struct {
	b     *Bundle
	d     *Document
	opts  expression.Options
	diags Diagnostics
	// quietSchema holds pointers where a schema error is expected and
	// already explained (a step whose only target is x-operation).
	quietSchema map[string]bool
}

func (c *checker) report(sev Severity, rule, ptr, hint, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{Severity: sev, Rule: rule, File: c.d.Location, Pos: c.d.Locate(ptr), Path: ptr,
		Message: fmt.Sprintf(format, args...), Hint: hint})
}

func (c *checker) errorf(rule, ptr, hint, format string, args ...any) {
	c.report(SeverityError, rule, ptr, hint, format, args...)
}

func (c *checker) warnf(rule, ptr, hint, format string, args ...any) {
	c.report(SeverityWarning, rule, ptr, hint, format, args...)
}

func wfPtr(i int) string      { return "/workflows/" + strconv.Itoa(i) }
func stepPtr(i, j int) string { return wfPtr(i) + "/steps/" + strconv.Itoa(j) }

func (c *checker) sourcesLoaded() bool { return len(c.b.Sources) > 0 }

func (c *checker) run() {
	c.quietSchema = map[string]bool{}
	c.uniqueness()
	c.components()
	for i, w := range c.d.Workflows {
		c.workflow(i, w)
	}
	c.workflowDependsOn()
}

func (c *checker) uniqueness() {
	seen := map[string]int{}
	for i, s := range c.d.SourceDescriptions {
		if s.Name == "" {
			continue
		}
		if j, dup := seen[s.Name]; dup {
			c.errorf("source-name-unique", fmt.Sprintf("/sourceDescriptions/%d/name", i), "rename one of them",
				"source description name %q is already used by sourceDescriptions[%d]", s.Name, j)
			continue
		}
		seen[s.Name] = i
	}
	seen = map[string]int{}
	for i, w := range c.d.Workflows {
		if w.WorkflowID == "" {
			continue
		}
		if j, dup := seen[w.WorkflowID]; dup {
			c.errorf("workflow-id-unique", wfPtr(i)+"/workflowId", "rename one of them",
				"workflowId %q is already used by workflows[%d]", w.WorkflowID, j)
			continue
		}
		seen[w.WorkflowID] = i
	}
	for i, w := range c.d.Workflows {
		steps := map[string]int{}
		for j, s := range w.Steps {
			if s.StepID == "" {
				continue
			}
			if k, dup := steps[s.StepID]; dup {
				c.errorf("step-id-unique", stepPtr(i, j)+"/stepId", "rename one of them; stepIds must be unique within a workflow",
					"stepId %q is already used by steps[%d] of workflow %q", s.StepID, k, w.WorkflowID)
				continue
			}
			steps[s.StepID] = j
		}
	}
}

var outputNameRE = regexp.MustCompile(`^[a-zA-Z0-9.\-_]+$`)

func (c *checker) outputNames(outs []*Output, base string) {
	for _, o := range outs {
		if !outputNameRE.MatchString(o.Name) {
			c.errorf("output-name-format", base+"/"+escapePtr(o.Name), "use only letters, digits, '.', '-' and '_'",
				"output name %q does not match ^[a-zA-Z0-9.\\-_]+$", o.Name)
		}
	}
}

func (c *checker) components() {
	comp := c.d.Components
	if comp == nil {
		return
	}
	for _, name := range sortedKeys(comp.Parameters) {
		p := comp.Parameters[name]
		c.value(p.Value, "/components/parameters/"+escapePtr(name)+"/value", nil)
	}
	for _, set := range []struct {
		key string
		m   map[string]*Action
	}{{"successActions", comp.SuccessActions}, {"failureActions", comp.FailureActions}} {
		for _, name := range sortedKeys(set.m) {
			a := set.m[name]
			base := "/components/" + set.key + "/" + escapePtr(name)
			for k, cr := range a.Criteria {
				c.criterion(cr, base+"/criteria/"+strconv.Itoa(k), nil)
			}
			for k, p := range a.Parameters {
				if p.Ref == nil {
					c.value(p.Value, base+"/parameters/"+strconv.Itoa(k)+"/value", nil)
				}
			}
		}
	}
}

// use is where an expression appears, for the step-output-defined rule.
type use struct {
	w *Workflow
	// step is the index of the step using the expression; -1 outside steps.
	step int
	// inAction allows references to the step's own outputs (actions run
	// after the outputs are computed).
	inAction bool
}

func (c *checker) workflow(i int, w *Workflow) {
	wp := wfPtr(i)
	c.outputNames(w.Outputs, wp+"/outputs")
	wuse := &use{w: w, step: -1}
	for k, p := range w.Parameters {
		c.param(p, wp+"/parameters/"+strconv.Itoa(k), wuse)
	}
	hasOpStep := false
	for _, s := range w.Steps {
		if s.OperationID != "" || s.OperationPath != "" || s.XOperation != nil {
			hasOpStep = true
		}
	}
	if hasOpStep {
		for k, p := range w.Parameters {
			if p.In == "" && p.Name != "" {
				c.errorf("parameter-in", wp+"/parameters/"+strconv.Itoa(k), "add `in: path|query|header|cookie`",
					"workflow parameter %q has no `in`, but the workflow's operation steps need one to send it", p.Name)
			}
		}
	}
	for k, a := range w.SuccessActions {
		c.action(w, -1, a, wp+"/successActions/"+strconv.Itoa(k), wuse)
	}
	for k, a := range w.FailureActions {
		c.action(w, -1, a, wp+"/failureActions/"+strconv.Itoa(k), wuse)
	}
	for j, s := range w.Steps {
		c.step(i, w, j, s)
	}
	for _, o := range w.Outputs {
		c.output(o, wp+"/outputs/"+escapePtr(o.Name), wuse)
	}
	c.stepDependsOn(i, w)
	c.flow(i, w)
}

func (c *checker) step(wi int, w *Workflow, j int, s *Step) {
	sp := stepPtr(wi, j)
	targets := []string{}
	for _, t := range []struct{ name, v string }{{"operationId", s.OperationID}, {"operationPath", s.OperationPath},
		{"workflowId", s.WorkflowID}, {"channelPath", s.ChannelPath}} {
		if t.v != "" {
			targets = append(targets, t.name)
		}
	}
	if s.XOperation != nil {
		targets = append(targets, "x-operation")
		if len(targets) == 1 {
			c.quietSchema[sp] = true
		}
	}
	switch {
	case len(targets) == 0:
		c.errorf("step-target-exactly-one", sp, "add operationId, operationPath or workflowId",
			"step %q has no target: it needs exactly one of operationId, operationPath, workflowId%s", s.StepID, c.channelHint())
	case len(targets) > 1:
		c.errorf("step-target-exactly-one", sp, "keep only one of them",
			"step %q has %s; exactly one target is allowed", s.StepID, strings.Join(targets, " and "))
	}
	c.outputNames(s.Outputs, sp+"/outputs")
	u := &use{w: w, step: j}
	isWorkflowStep := s.WorkflowID != ""
	isOpStep := s.OperationID != "" || s.OperationPath != "" || s.XOperation != nil
	for k, p := range s.Parameters {
		pp := sp + "/parameters/" + strconv.Itoa(k)
		c.param(p, pp, u)
		if len(targets) != 1 || p.Name == "" {
			continue
		}
		switch {
		case isOpStep && p.In == "":
			c.errorf("parameter-in", pp, "add `in: path|query|header|cookie`",
				"parameter %q of operation step %q has no `in`", p.Name, s.StepID)
		case isWorkflowStep && p.In != "":
			c.warnf("parameter-in", pp+"/in", "remove `in`: parameters of a workflow step are the workflow's inputs",
				"parameter %q of workflow step %q has `in: %s`, which is ignored", p.Name, s.StepID, p.In)
		}
	}
	if rb := s.RequestBody; rb != nil {
		if rb.HasPayload {
			c.value(rb.Payload, sp+"/requestBody/payload", u)
		}
		for k, r := range rb.Replacements {
			c.value(r.Value, sp+"/requestBody/replacements/"+strconv.Itoa(k)+"/value", u)
		}
	}
	for k, cr := range s.SuccessCriteria {
		c.criterion(cr, sp+"/successCriteria/"+strconv.Itoa(k), u)
	}
	au := &use{w: w, step: j, inAction: true}
	for k, a := range s.OnSuccess {
		c.action(w, j, a, sp+"/onSuccess/"+strconv.Itoa(k), au)
	}
	for k, a := range s.OnFailure {
		c.action(w, j, a, sp+"/onFailure/"+strconv.Itoa(k), au)
	}
	for _, o := range s.Outputs {
		c.output(o, sp+"/outputs/"+escapePtr(o.Name), au)
	}
	if s.WorkflowID != "" {
		c.workflowRef(s.WorkflowID, sp+"/workflowId")
	}
	if len(targets) == 1 && (s.OperationID != "" || s.OperationPath != "") {
		c.operation(w, s, sp)
	}
	c.pollWithoutRetry(w, j, s, sp)
}

func (c *checker) channelHint() string {
	if c.d.Minor() == "1.1" {
		return " or channelPath"
	}
	return ""
}

// operation checks operation-exists and path-parameter-required.
func (c *checker) operation(w *Workflow, s *Step, sp string) {
	if !c.sourcesLoaded() {
		return
	}
	field := sp + "/operationId"
	if s.OperationID == "" {
		field = sp + "/operationPath"
	}
	c.sourceRefSpelling(s.OperationID, field)
	// An operationId may name an AsyncAPI operation (1.1); those are not
	// resolved here.
	if name, _, ok := splitSourceRef(s.OperationID); ok {
		if src := c.b.Sources[name]; src != nil && src.Kind == SourceAsyncAPI {
			return
		}
	} else if s.OperationID != "" && c.onlyAsync() {
		return
	}
	ro, err := c.b.ResolveOperation(s)
	if err != nil {
		if errors.Is(err, ErrSourceNotLoaded) {
			return
		}
		c.errorf("operation-exists", field, "check the operationId/operationPath against the source's OpenAPI description", "%v", err)
		return
	}
	supplied := map[string]bool{}
	for _, p := range w.Parameters {
		if p.In == InPath || p.In == "" {
			supplied[p.Name] = true
		}
	}
	for _, p := range s.Parameters {
		if p.In == InPath || p.In == "" {
			supplied[p.Name] = true
		}
	}
	for _, p := range ro.Operation.Parameters {
		if p.In == InPath && !supplied[p.Name] {
			c.errorf("path-parameter-required", sp, fmt.Sprintf("add a parameter {name: %s, in: path, value: …}", p.Name),
				"step %q calls %s %s but does not supply the path parameter %q", s.StepID, ro.Operation.Method, ro.Operation.Path, p.Name)
		}
	}
}

func (c *checker) onlyAsync() bool {
	any := false
	for _, s := range c.b.Sources {
		if s.Kind == SourceOpenAPI {
			return false
		}
		if s.Kind == SourceAsyncAPI {
			any = true
		}
	}
	return any
}

// sourceRefSpelling flags the singular "$sourceDescription.<name>.<id>"
// that some published documents use: understood (lenient), but not the
// spec's form; an error in strict mode.
func (c *checker) sourceRefSpelling(ref, ptr string) {
	if !singularSourceRef(ref) {
		return
	}
	fixed := strings.Replace(ref, "$sourceDescription.", "$sourceDescriptions.", 1)
	if c.opts.Strict {
		c.errorf("source-ref-spelling", ptr, "write "+fixed, "%q: the spec's prefix is $sourceDescriptions (plural)", ref)
		return
	}
	c.warnf("source-ref-spelling", ptr, "write "+fixed, "%q uses $sourceDescription (singular); understood as $sourceDescriptions", ref)
}

// workflowRef checks that a workflowId (of a step, an action or a
// dependsOn entry) names an existing workflow.
func (c *checker) workflowRef(ref, ptr string) {
	c.sourceRefSpelling(ref, ptr)
	if name, _, ok := splitSourceRef(ref); ok {
		sd := c.d.SourceDescription(name)
		if sd == nil {
			c.errorf("workflow-exists", ptr, "list the Arazzo document in sourceDescriptions",
				"%q: no source description named %q", ref, name)
			return
		}
		if !c.sourcesLoaded() {
			return
		}
		if _, _, err := c.b.ResolveWorkflow(ref); err != nil && !errors.Is(err, ErrSourceNotLoaded) {
			c.errorf("workflow-exists", ptr, "check the workflowId in the source's Arazzo document", "%v", err)
		}
		return
	}
	if c.d.Workflow(unbrace(ref)) == nil {
		hint := "use the workflowId of a workflow in this document, or $sourceDescriptions.<name>.<workflowId> for another document"
		c.errorf("workflow-exists", ptr, hint, "no workflow %q in this document", ref)
	}
}

func (c *checker) action(w *Workflow, stepIdx int, a *Action, ptr string, u *use) {
	if a.Ref == nil {
		for k, cr := range a.Criteria {
			c.criterion(cr, ptr+"/criteria/"+strconv.Itoa(k), u)
		}
		for k, p := range a.Parameters {
			pp := ptr + "/parameters/" + strconv.Itoa(k)
			c.param(p, pp, u)
			if p.In != "" && p.Ref == nil {
				c.errorf("parameter-in", pp+"/in", "remove `in`", "parameters of an action are workflow inputs; `in` must not be used")
			}
		}
	} else {
		// The component's own expressions were checked where they are
		// defined; here only their step references depend on the context.
		for _, cr := range a.Criteria {
			c.criterionRefs(cr, ptr, u)
		}
	}
	if a.Type != ActionGoto && a.Type != ActionRetry {
		return
	}
	if a.StepID != "" && a.WorkflowID != "" {
		c.errorf("action-target-exists", ptr, "keep one of them", "action %q has both stepId and workflowId", a.Name)
		return
	}
	if a.Type == ActionGoto && a.StepID == "" && a.WorkflowID == "" {
		c.errorf("action-target-exists", ptr, "add stepId or workflowId", "goto action %q has no stepId or workflowId", a.Name)
		return
	}
	if a.StepID != "" && w.Step(a.StepID) == nil {
		c.errorf("action-target-exists", ptr+"/stepId", "goto/retry can only target a step of the same workflow",
			"action %q targets step %q, which is not in workflow %q", a.Name, a.StepID, w.WorkflowID)
	}
	if a.WorkflowID != "" {
		c.workflowRef(a.WorkflowID, ptr+"/workflowId")
	}
}

func (c *checker) param(p *Parameter, ptr string, u *use) {
	if p.Ref != nil {
		if p.Ref.HasValue {
			c.value(p.Value, ptr+"/value", u)
		} else if p.Value != nil {
			c.valueRefs(p.Value, ptr, u)
		}
		return
	}
	c.value(p.Value, ptr+"/value", u)
}

// exprValue converts model values to what expression.CompileValue takes:
// *Selector leaves become *expression.SelectorSpec.
func exprValue(v any) any {
	switch x := v.(type) {
	case *Selector:
		return &expression.SelectorSpec{Context: x.Context, Selector: x.Selector, Type: x.Type.Type, Version: x.Type.Version}
	case map[string]any:
		if !containsSelector(x) {
			return x
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = exprValue(e)
		}
		return m
	case []any:
		if !containsSelector(x) {
			return x
		}
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = exprValue(e)
		}
		return s
	}
	return v
}

func containsSelector(v any) bool {
	switch x := v.(type) {
	case *Selector:
		return true
	case map[string]any:
		for _, e := range x {
			if containsSelector(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if containsSelector(e) {
				return true
			}
		}
	}
	return false
}

func (c *checker) warnings(ws []expression.Warning, ptr string) {
	for _, w := range ws {
		code := w.Code
		if code == "" {
			code = "expression-lenient"
		}
		c.warnf(code, ptr, "", "%s (column %d)", w.Message, w.Column)
	}
}

func (c *checker) exprErr(err error, ptr, what string) {
	c.errorf("expression-syntax", ptr, "see the Runtime Expressions section of the specification",
		"invalid %s: %v", what, err)
}

func (c *checker) value(v any, ptr string, u *use) {
	if v == nil {
		return
	}
	val, ws, err := expression.CompileValue(exprValue(v), c.opts)
	c.warnings(ws, ptr)
	if err != nil {
		c.exprErr(err, ptr, "runtime expression")
		return
	}
	if u != nil && val != nil {
		c.refs(val.Exprs(), ptr, u)
	}
}

// valueRefs checks only the step references of a value whose syntax is
// checked elsewhere (a component's value).
func (c *checker) valueRefs(v any, ptr string, u *use) {
	if val, _, err := expression.CompileValue(exprValue(v), c.opts); err == nil && val != nil && u != nil {
		c.refs(val.Exprs(), ptr, u)
	}
}

func criterionSpec(cr *Criterion) expression.CriterionSpec {
	return expression.CriterionSpec{Context: cr.Context, Condition: cr.Condition, Type: cr.Type.Type, Version: cr.Type.Version}
}

func (c *checker) criterion(cr *Criterion, ptr string, u *use) {
	comp, ws, err := expression.CompileCriterion(criterionSpec(cr), c.opts)
	c.warnings(ws, ptr+"/condition")
	if err != nil {
		c.exprErr(err, ptr+"/condition", "criterion")
		return
	}
	if u != nil && comp != nil {
		c.refs(comp.Exprs(), ptr, u)
	}
}

func (c *checker) criterionRefs(cr *Criterion, ptr string, u *use) {
	if comp, _, err := expression.CompileCriterion(criterionSpec(cr), c.opts); err == nil && comp != nil {
		c.refs(comp.Exprs(), ptr, u)
	}
}

func (c *checker) output(o *Output, ptr string, u *use) {
	switch v := o.Value.(type) {
	case string:
		e, ws, err := expression.Parse(strings.TrimSpace(v), c.opts)
		c.warnings(ws, ptr)
		if err != nil {
			// Published documents sometimes use an expression string
			// ("{$a}-{$b}"); accept it when it parses as one.
			t, _, terr := expression.ParseTemplate(v, c.opts)
			if terr != nil || t == nil || t.IsConstant() {
				c.errorf("expression-syntax", ptr, "an output value must be a runtime expression such as $response.body#/id",
					"output %q: invalid runtime expression: %v", o.Name, err)
				return
			}
			c.warnf("output-template", ptr, "use a single runtime expression",
				"output %q is an expression string, not a runtime expression; it is evaluated as a string", o.Name)
			c.refs(t.Exprs(), ptr, u)
			return
		}
		if e != nil {
			c.refs([]*expression.Expr{e}, ptr, u)
		}
	case *Selector:
		_, ws, err := expression.CompileSelector(expression.SelectorSpec{Context: v.Context, Selector: v.Selector, Type: v.Type.Type, Version: v.Type.Version}, c.opts)
		c.warnings(ws, ptr)
		if err != nil {
			c.exprErr(err, ptr, "selector")
			return
		}
		if e, _, err := expression.Parse(v.Context, c.opts); err == nil && e != nil {
			c.refs([]*expression.Expr{e}, ptr, u)
		}
	}
	// Other types are schema errors.
}

// refs checks step-output-defined for each $steps.X.outputs.Y, and
// workflow references ($workflows.X.…).
func (c *checker) refs(es []*expression.Expr, ptr string, u *use) {
	for _, e := range es {
		if e == nil {
			continue
		}
		switch e.Kind {
		case expression.KindStepOutputs:
			c.stepRef(e, ptr, u)
		case expression.KindWorkflowOutputs, expression.KindWorkflowInputs:
			w := c.d.Workflow(e.ID)
			if w == nil {
				c.errorf("workflow-exists", ptr, "use the workflowId of a workflow in this document", "%s: no workflow %q in this document", e.Text, e.ID)
				continue
			}
			if e.Kind == expression.KindWorkflowOutputs && !hasOutput(w.Outputs, e.Name) {
				c.errorf("step-output-defined", ptr, fmt.Sprintf("add %q to the outputs of workflow %q", e.Name, e.ID),
					"%s: workflow %q has no output %q%s", e.Text, e.ID, e.Name, outputList(w.Outputs))
			}
		}
	}
}

// hasOutput reports whether name is an output, or starts with one followed
// by a dot: output names may contain dots, so `$steps.a.outputs.user.id`
// is either the output "user.id" or the lenient dot-path form reading
// "id" from the output "user" (the expression parser warns about that).
func hasOutput(outs []*Output, name string) bool {
	for _, o := range outs {
		if o.Name == name || strings.HasPrefix(name, o.Name+".") || strings.HasPrefix(name, o.Name+"[") {
			return true
		}
	}
	return false
}

func outputList(outs []*Output) string {
	if len(outs) == 0 {
		return " (it defines no outputs)"
	}
	names := make([]string, len(outs))
	for i, o := range outs {
		names[i] = o.Name
	}
	return " (outputs: " + strings.Join(names, ", ") + ")"
}

func (c *checker) stepRef(e *expression.Expr, ptr string, u *use) {
	w := u.w
	x := w.StepIndex(e.ID)
	if x < 0 {
		c.errorf("step-output-defined", ptr, "use the stepId of a step in the same workflow",
			"%s: workflow %q has no step %q", e.Text, w.WorkflowID, e.ID)
		return
	}
	s := w.Steps[x]
	if !hasOutput(s.Outputs, e.Name) {
		c.errorf("step-output-defined", ptr, fmt.Sprintf("add %q to the outputs of step %q", e.Name, e.ID),
			"%s: step %q has no output %q%s", e.Text, e.ID, e.Name, outputList(s.Outputs))
		return
	}
	if u.step < 0 || usesStepDependsOn(w) {
		return
	}
	if x > u.step || x == u.step && !u.inAction {
		when := "runs after"
		if x == u.step {
			when = "is"
		}
		sev := SeverityError
		if hasBackwardGoto(w) {
			// In a loop the value may come from an earlier iteration.
			sev = SeverityWarning
		}
		c.report(sev, "step-output-defined", ptr, "reorder the steps so that the referenced step runs first",
			"%s: step %q %s step %q, so its outputs are not available yet", e.Text, e.ID, when, w.Steps[u.step].StepID)
	}
}

func usesStepDependsOn(w *Workflow) bool {
	for _, s := range w.Steps {
		if len(s.DependsOn) > 0 {
			return true
		}
	}
	return false
}
