package runner

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/internal/keyorder"
	"github.com/go-arazzo/arazzo/openapi"
)

// The plan is the compiled form of a bundle: every expression, criterion
// and value parsed once, every step bound to its operation or workflow, and
// actions merged with the workflow-level ones. Runs only read it, so one
// plan serves any number of concurrent runs.
type plan struct {
	root      *arazzo.Bundle
	self      string
	workflows map[*arazzo.Workflow]*cworkflow
	// byID indexes the root document's workflows.
	byID map[string]*cworkflow
	// order is the root document's workflows in document order.
	order    []*cworkflow
	exprOpts expression.Options
	// docs are the Arazzo documents the plan's workflows come from, and
	// copies holds the member order of the objects compiling copied
	// (toSelectorSpecs): together they give the written order of every
	// object in the plan (memberOrder).
	docs   []*arazzo.Document
	copies keyorder.Table
}

type cworkflow struct {
	plan      *plan
	bundle    *arazzo.Bundle
	bundleKey string
	id        string
	wf        *arazzo.Workflow
	inputs    *inputSchema
	steps     []*cstep
	index     map[string]int
	outputs   []coutput
	dependsOn []*cworkflow
	// err is why the workflow cannot run, if it cannot.
	err error
}

type stepKind int

const (
	stepOperation stepKind = iota
	stepWorkflow
	stepXOperation
	stepUnsupported
)

type cstep struct {
	id          string
	step        *arazzo.Step
	kind        stepKind
	source      string
	op          *openapi.Operation
	xMethod     string
	xURL        *expression.Template
	target      *cworkflow
	unsupported string
	params      []cparam
	body        *cbody
	criteria    []*expression.Criterion
	onSuccess   []*caction
	onFailure   []*caction
	outputs     []coutput
	timeout     time.Duration
	dependsOn   []stepDep
	// pollLike: the success criteria test something other than the status
	// code, so they may only pass on a later attempt.
	pollLike bool
	hasRetry bool
}

type stepDep struct {
	text     string
	workflow *cworkflow // nil: the same workflow
	stepID   string
}

type cparam struct {
	name, in string
	value    *expression.Value
}

type cbody struct {
	contentType  string
	payload      *expression.Value
	replacements []creplacement
}

type creplacement struct {
	target string
	typ    string // jsonpointer, jsonpath, xpath
	value  *expression.Value
}

type caction struct {
	name       string
	typ        string
	criteria   []*expression.Criterion
	stepID     string
	stepIdx    int
	target     *cworkflow
	params     []cparam
	retryAfter float64
	retryLimit int
}

type coutput struct {
	name  string
	value *expression.Value
}

// CompileError is a problem found while preparing a document for running:
// an expression that does not parse, an operation that does not exist.
// Validation reports the same problems with locations; this is the
// runner's last line of defence.
type CompileError struct {
	WorkflowID string
	StepID     string
	Msg        string
}

func (e *CompileError) Error() string {
	where := e.WorkflowID
	if e.StepID != "" {
		where += "/" + e.StepID
	}
	return where + ": " + e.Msg
}

func compile(b *arazzo.Bundle, opts Options) (*plan, error) {
	p := &plan{root: b, workflows: map[*arazzo.Workflow]*cworkflow{}, byID: map[string]*cworkflow{},
		self:     b.Document.Self,
		exprOpts: expression.Options{Strict: opts.Strict, Version: b.Document.Arazzo}}
	p.exprOpts.MemberOrder = p.memberOrder
	for _, w := range b.Document.Workflows {
		cw, err := p.workflow(b, w)
		if err != nil {
			return nil, err
		}
		p.byID[w.WorkflowID] = cw
		p.order = append(p.order, cw)
	}
	// Fill workflows in after all of them exist, so that references
	// between them (goto, dependsOn, workflowId steps) resolve, cycles
	// included; filling may add workflows of arazzo sources, hence the loop.
	done := map[*cworkflow]bool{}
	for len(done) < len(p.workflows) {
		for _, cw := range p.workflowsSnapshot() {
			if done[cw] {
				continue
			}
			done[cw] = true
			// A workflow that cannot be compiled fails when it (or a
			// workflow reaching it) runs; the others stay runnable.
			cw.err = p.fill(cw)
		}
	}
	return p, nil
}

func (p *plan) workflowsSnapshot() []*cworkflow {
	out := make([]*cworkflow, 0, len(p.workflows))
	for _, cw := range p.workflows {
		out = append(out, cw)
	}
	return out
}

// workflow returns the (possibly still empty) compiled workflow for w.
func (p *plan) workflow(b *arazzo.Bundle, w *arazzo.Workflow) (*cworkflow, error) {
	if cw, ok := p.workflows[w]; ok {
		return cw, nil
	}
	cw := &cworkflow{plan: p, bundle: b, bundleKey: b.Document.Location, id: w.WorkflowID, wf: w,
		index: make(map[string]int, len(w.Steps))}
	p.workflows[w] = cw
	if !slices.Contains(p.docs, b.Document) {
		p.docs = append(p.docs, b.Document)
	}
	return cw, nil
}

// memberOrder is the written member order of an object of the plan's
// documents. The plan is only read once compiled, so it is safe for
// concurrent runs.
func (p *plan) memberOrder(m map[string]any) []string {
	if k := p.copies.Keys(m); k != nil {
		return k
	}
	for _, d := range p.docs {
		if k := d.MemberOrder(m); k != nil {
			return k
		}
	}
	return nil
}

func (p *plan) resolveWorkflow(b *arazzo.Bundle, ref string) (*cworkflow, error) {
	tb, tw, err := b.ResolveWorkflow(ref)
	if err != nil {
		return nil, err
	}
	return p.workflow(tb, tw)
}

func (p *plan) fill(cw *cworkflow) error {
	w := cw.wf
	errf := func(step string, format string, args ...any) error {
		return &CompileError{WorkflowID: w.WorkflowID, StepID: step, Msg: fmt.Sprintf(format, args...)}
	}
	var err error
	if cw.inputs, err = compileInputs(cw.bundle.Document, w); err != nil {
		return errf("", "inputs schema: %v", err)
	}
	for _, ref := range w.DependsOn {
		dep, err := p.resolveWorkflow(cw.bundle, ref)
		if err != nil {
			return errf("", "dependsOn %s: %v", ref, err)
		}
		cw.dependsOn = append(cw.dependsOn, dep)
	}
	for i, s := range w.Steps {
		cw.index[s.StepID] = i
	}
	wfParams, err := p.params(w.Parameters)
	if err != nil {
		return errf("", "%v", err)
	}
	wfSuccess, err := p.actions(cw, w.SuccessActions)
	if err != nil {
		return errf("", "successActions: %v", err)
	}
	wfFailure, err := p.actions(cw, w.FailureActions)
	if err != nil {
		return errf("", "failureActions: %v", err)
	}
	for _, s := range w.Steps {
		cs, err := p.step(cw, s, wfParams, wfSuccess, wfFailure)
		if err != nil {
			return errf(s.StepID, "%v", err)
		}
		cw.steps = append(cw.steps, cs)
	}
	if cw.outputs, err = p.outputs(w.Outputs); err != nil {
		return errf("", "outputs: %v", err)
	}
	return nil
}

func (p *plan) step(cw *cworkflow, s *arazzo.Step, wfParams []cparam, wfSuccess, wfFailure []*caction) (*cstep, error) {
	cs := &cstep{id: s.StepID, step: s, timeout: time.Duration(s.Timeout) * time.Millisecond}
	switch {
	case s.WorkflowID != "":
		cs.kind = stepWorkflow
		t, err := p.resolveWorkflow(cw.bundle, s.WorkflowID)
		if err != nil {
			return nil, err
		}
		cs.target = t
	case s.OperationID != "" || s.OperationPath != "":
		ro, err := cw.bundle.ResolveOperation(s)
		if err != nil {
			return nil, err
		}
		cs.kind, cs.op, cs.source = stepOperation, ro.Operation, ro.Source
	case s.XOperation != nil:
		cs.kind = stepXOperation
		cs.xMethod = strings.ToUpper(s.XOperation.Method)
		if cs.xMethod == "" {
			cs.xMethod = http.MethodGet
		}
		t, _, err := expression.ParseTemplate(s.XOperation.URL, p.exprOpts)
		if err != nil {
			return nil, fmt.Errorf("x-operation url %q: %w", s.XOperation.URL, err)
		}
		cs.xURL = t
		cs.source = firstSource(cw.bundle)
	case s.ChannelPath != "":
		cs.kind = stepUnsupported
		cs.unsupported = "AsyncAPI steps (channelPath " + s.ChannelPath + ") are parsed and validated but not executed yet"
	default:
		return nil, fmt.Errorf("step has no operationId, operationPath, workflowId or x-operation")
	}
	// Step parameters override workflow-level ones with the same name+in.
	own, err := p.params(s.Parameters)
	if err != nil {
		return nil, err
	}
	cs.params = mergeParams(wfParams, own, cs.kind == stepWorkflow)
	if s.RequestBody != nil {
		if cs.body, err = p.body(s.RequestBody); err != nil {
			return nil, err
		}
	}
	for _, c := range s.SuccessCriteria {
		cc, err := p.criterion(c)
		if err != nil {
			return nil, err
		}
		cs.criteria = append(cs.criteria, cc)
		if arazzo.TestsState(c) {
			cs.pollLike = true
		}
	}
	onS, err := p.actions(cw, s.OnSuccess)
	if err != nil {
		return nil, fmt.Errorf("onSuccess: %w", err)
	}
	onF, err := p.actions(cw, s.OnFailure)
	if err != nil {
		return nil, fmt.Errorf("onFailure: %w", err)
	}
	cs.onSuccess = mergeActions(onS, wfSuccess)
	cs.onFailure = mergeActions(onF, wfFailure)
	for _, a := range cs.onFailure {
		if a.typ == arazzo.ActionRetry {
			cs.hasRetry = true
		}
	}
	if cs.outputs, err = p.outputs(s.Outputs); err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	for _, d := range s.DependsOn {
		dep, err := p.stepDep(cw, d)
		if err != nil {
			return nil, err
		}
		cs.dependsOn = append(cs.dependsOn, dep)
	}
	return cs, nil
}

// stepDep parses a 1.1 step dependsOn entry: a local stepId,
// $workflows.<id>.steps.<stepId>, or $sourceDescriptions.<src>.<wf>.steps.<stepId>.
func (p *plan) stepDep(cw *cworkflow, text string) (stepDep, error) {
	d := stepDep{text: text}
	if !strings.HasPrefix(text, "$") {
		d.stepID = text
		return d, nil
	}
	i := strings.LastIndex(text, ".steps.")
	if i < 0 {
		return d, fmt.Errorf("dependsOn %q: expected a stepId or $workflows.<id>.steps.<stepId>", text)
	}
	d.stepID = text[i+len(".steps."):]
	wref := text[:i]
	if strings.HasPrefix(wref, "$workflows.") {
		wref = strings.TrimPrefix(wref, "$workflows.")
	}
	w, err := p.resolveWorkflow(cw.bundle, wref)
	if err != nil {
		return d, fmt.Errorf("dependsOn %q: %w", text, err)
	}
	d.workflow = w
	return d, nil
}

func firstSource(b *arazzo.Bundle) string {
	for _, sd := range b.Document.SourceDescriptions {
		if sd.Type == "" || sd.Type == arazzo.SourceOpenAPI {
			return sd.Name
		}
	}
	return ""
}

func (p *plan) params(ps []*arazzo.Parameter) ([]cparam, error) {
	out := make([]cparam, 0, len(ps))
	for _, ap := range ps {
		v, err := p.value(ap.Value)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", ap.Name, err)
		}
		out = append(out, cparam{name: ap.Name, in: ap.In, value: v})
	}
	return out, nil
}

// mergeParams puts step parameters over workflow-level ones: same name and
// location replace, others add. For workflow steps `in` is absent, so the
// name alone decides.
func mergeParams(wf, own []cparam, byNameOnly bool) []cparam {
	if len(wf) == 0 {
		return own
	}
	out := make([]cparam, 0, len(wf)+len(own))
	for _, w := range wf {
		overridden := false
		for _, o := range own {
			if o.name == w.name && (byNameOnly || strings.EqualFold(o.in, w.in)) {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, w)
		}
	}
	return append(out, own...)
}

// mergeActions returns the step's actions followed by the workflow-level
// ones the step does not override by name.
func mergeActions(own, wf []*caction) []*caction {
	if len(wf) == 0 {
		return own
	}
	out := append(make([]*caction, 0, len(own)+len(wf)), own...)
	for _, w := range wf {
		overridden := false
		for _, o := range own {
			if o.name == w.name {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, w)
		}
	}
	return out
}

func (p *plan) actions(cw *cworkflow, as []*arazzo.Action) ([]*caction, error) {
	out := make([]*caction, 0, len(as))
	for _, a := range as {
		ca := &caction{name: a.Name, typ: a.Type, stepID: a.StepID, stepIdx: -1, retryLimit: 1}
		if a.RetryAfter != nil {
			ca.retryAfter = *a.RetryAfter
		}
		if a.RetryLimit != nil {
			ca.retryLimit = *a.RetryLimit
		}
		for _, c := range a.Criteria {
			cc, err := p.criterion(c)
			if err != nil {
				return nil, fmt.Errorf("action %s: %w", a.Name, err)
			}
			ca.criteria = append(ca.criteria, cc)
		}
		switch {
		case a.WorkflowID != "":
			t, err := p.resolveWorkflow(cw.bundle, a.WorkflowID)
			if err != nil {
				return nil, fmt.Errorf("action %s: %w", a.Name, err)
			}
			ca.target = t
		case a.StepID != "":
			idx := cw.wf.StepIndex(a.StepID)
			if idx < 0 {
				return nil, fmt.Errorf("action %s: no step %q in workflow %s", a.Name, a.StepID, cw.id)
			}
			ca.stepIdx = idx
		}
		if a.Type == arazzo.ActionGoto && ca.target == nil && ca.stepIdx < 0 {
			return nil, fmt.Errorf("goto action %s names neither a stepId nor a workflowId", a.Name)
		}
		var err error
		if ca.params, err = p.params(a.Parameters); err != nil {
			return nil, fmt.Errorf("action %s: %w", a.Name, err)
		}
		out = append(out, ca)
	}
	return out, nil
}

func (p *plan) criterion(c *arazzo.Criterion) (*expression.Criterion, error) {
	cc, _, err := expression.CompileCriterion(expression.CriterionSpec{
		Context: c.Context, Condition: c.Condition, Type: c.Type.Type, Version: c.Type.Version}, p.exprOpts)
	if err != nil {
		return nil, fmt.Errorf("criterion %q: %w", c.Condition, err)
	}
	return cc, nil
}

func (p *plan) outputs(os []*arazzo.Output) ([]coutput, error) {
	out := make([]coutput, 0, len(os))
	for _, o := range os {
		v, err := p.value(o.Value)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", o.Name, err)
		}
		out = append(out, coutput{name: o.Name, value: v})
	}
	return out, nil
}

func (p *plan) body(rb *arazzo.RequestBody) (*cbody, error) {
	b := &cbody{contentType: rb.ContentType}
	if rb.HasPayload {
		v, err := p.value(rb.Payload)
		if err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		b.payload = v
	}
	for _, r := range rb.Replacements {
		v, err := p.value(r.Value)
		if err != nil {
			return nil, fmt.Errorf("replacement %s: %w", r.Target, err)
		}
		typ := r.TargetSelectorType.Type
		if typ == "" {
			typ = arazzo.SelectorJSONPtr
			if isXMLMediaType(mediaType(rb.ContentType)) {
				typ = arazzo.CriterionXPath
			}
		}
		b.replacements = append(b.replacements, creplacement{target: r.Target, typ: typ, value: v})
	}
	return b, nil
}

// value compiles a document value, turning 1.1 Selector Objects into the
// expression package's selector specs.
func (p *plan) value(v any) (*expression.Value, error) {
	cv, _, err := expression.CompileValue(p.toSelectorSpecs(v), p.exprOpts)
	return cv, err
}

// toSelectorSpecs returns v with its 1.1 Selector Objects turned into
// expression.SelectorSpecs; objects it copies keep their member order.
func (p *plan) toSelectorSpecs(v any) any {
	if !containsSelector(v) {
		return v
	}
	switch t := v.(type) {
	case *arazzo.Selector:
		return &expression.SelectorSpec{Context: t.Context, Selector: t.Selector, Type: t.Type.Type, Version: t.Type.Version}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = p.toSelectorSpecs(e)
		}
		p.copies.Record(out, p.memberOrder(t))
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = p.toSelectorSpecs(e)
		}
		return out
	}
	return v
}

func containsSelector(v any) bool {
	switch t := v.(type) {
	case *arazzo.Selector:
		return true
	case map[string]any:
		for _, e := range t {
			if containsSelector(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if containsSelector(e) {
				return true
			}
		}
	}
	return false
}

// sourceValue answers $sourceDescriptions.<name>.<field> in a workflow of
// the document whose sources are given: url, name, type, or an
// operationId/workflowId that exists in that source (which evaluates to
// itself).
func sourceValue(sources map[string]*arazzo.Source, name, field string) (any, bool) {
	src, ok := sources[name]
	if !ok || src == nil {
		return nil, false
	}
	switch field {
	case "url":
		return src.Description.URL, true
	case "name":
		return src.Description.Name, true
	case "type":
		return src.Description.Type, true
	}
	if src.OpenAPI != nil && src.OpenAPI.OperationByID(field) != nil {
		return field, true
	}
	if src.Arazzo != nil && src.Arazzo.Document.Workflow(field) != nil {
		return field, true
	}
	return nil, false
}

// componentValue answers $components.<type>.<name>: a parameter
// component's value; other components have no runtime value.
func (p *plan) componentValue(typ, name string) (any, bool) {
	c := p.root.Document.Components
	if c == nil {
		return nil, false
	}
	switch typ {
	case "parameters":
		if prm, ok := c.Parameters[name]; ok {
			return prm.Value, true
		}
	case "inputs":
		if s, ok := c.Inputs[name]; ok {
			return s, true
		}
	}
	return nil, false
}
