// Package flowgraph turns an Arazzo workflow into forms people read: a
// description of its steps, operations, criteria and actions in words
// (Describe), and a picture of its control flow as Mermaid or Graphviz DOT
// (Build, Mermaid, Dot). It only reads the document model; nothing here
// sends requests.
package flowgraph

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/go-arazzo/arazzo/arazzo"
)

// Workflow is the readable description of one workflow.
type Workflow struct {
	WorkflowID     string   `json:"workflowId"`
	Summary        string   `json:"summary,omitempty"`
	Description    string   `json:"description,omitempty"`
	Inputs         []Input  `json:"inputs"`
	DependsOn      []string `json:"dependsOn,omitempty"`
	Parameters     []Param  `json:"parameters,omitempty"`
	Steps          []Step   `json:"steps"`
	SuccessActions []Action `json:"successActions,omitempty"`
	FailureActions []Action `json:"failureActions,omitempty"`
	Outputs        []Output `json:"outputs"`
}

// Input is one top-level property of a workflow's inputs schema.
type Input struct {
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Format   string `json:"format,omitempty"`
	Required bool   `json:"required"`
	// Default is the schema's default; "***" for a sensitive input.
	Default     any    `json:"default,omitempty"`
	Description string `json:"description,omitempty"`
	// Sensitive is true when the schema marks the input secret
	// (format: password, writeOnly: true or x-sensitive: true).
	Sensitive bool `json:"sensitive,omitempty"`
}

// Operation is what a step calls.
type Operation struct {
	// Kind is "operation", "workflow", "x-operation", "channel" or "none".
	Kind          string `json:"kind"`
	Source        string `json:"source,omitempty"`
	OperationID   string `json:"operationId,omitempty"`
	OperationPath string `json:"operationPath,omitempty"`
	// Method and Path are the resolved HTTP method and path template, when
	// the OpenAPI source is loaded (or the x-operation method).
	Method  string `json:"method,omitempty"`
	Path    string `json:"path,omitempty"`
	URL     string `json:"url,omitempty"`
	Summary string `json:"summary,omitempty"`
	// WorkflowID is the nested workflow a workflow step runs.
	WorkflowID  string `json:"workflowId,omitempty"`
	ChannelPath string `json:"channelPath,omitempty"`
	Action      string `json:"action,omitempty"`
	// Error says why the operation could not be resolved.
	Error string `json:"error,omitempty"`
}

// Param is a step or workflow parameter.
type Param struct {
	Name  string `json:"name"`
	In    string `json:"in,omitempty"`
	Value any    `json:"value"`
}

// Body is a step's request body.
type Body struct {
	ContentType  string        `json:"contentType,omitempty"`
	Payload      any           `json:"payload,omitempty"`
	Replacements []Replacement `json:"replacements,omitempty"`
}

// Replacement is a payload replacement.
type Replacement struct {
	Target string `json:"target"`
	Value  any    `json:"value"`
}

// Criterion is a success criterion or an action criterion.
type Criterion struct {
	Condition string `json:"condition"`
	// Type is simple, regex, jsonpath or xpath.
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
	Context string `json:"context,omitempty"`
}

// Action is a success or failure action.
type Action struct {
	Name       string      `json:"name"`
	Type       string      `json:"type"`
	StepID     string      `json:"stepId,omitempty"`
	WorkflowID string      `json:"workflowId,omitempty"`
	RetryAfter *float64    `json:"retryAfter,omitempty"`
	RetryLimit *int        `json:"retryLimit,omitempty"`
	Criteria   []Criterion `json:"criteria,omitempty"`
	// Parameters are the 1.1 inputs of a goto or retry workflow target.
	Parameters []Param `json:"parameters,omitempty"`
	// Text is the action in words: "retry after 5s, up to 60 times when
	// $statusCode == 503".
	Text string `json:"text"`
}

// Output is a named output expression.
type Output struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Step is the readable description of one step.
type Step struct {
	StepID          string      `json:"stepId"`
	Description     string      `json:"description,omitempty"`
	Operation       Operation   `json:"operation"`
	Parameters      []Param     `json:"parameters,omitempty"`
	RequestBody     *Body       `json:"requestBody,omitempty"`
	SuccessCriteria []Criterion `json:"successCriteria,omitempty"`
	OnSuccess       []Action    `json:"onSuccess,omitempty"`
	OnFailure       []Action    `json:"onFailure,omitempty"`
	// InheritedSuccess and InheritedFailure name the workflow-level
	// actions that also apply to this step (those it does not redefine).
	InheritedSuccess []string `json:"inheritedSuccessActions,omitempty"`
	InheritedFailure []string `json:"inheritedFailureActions,omitempty"`
	// Otherwise says what happens when no action applies: "next step
	// (pollBackup)", "the workflow succeeds", "the workflow fails"; empty
	// when an action without criteria always applies.
	OtherwiseSuccess string   `json:"otherwiseOnSuccess,omitempty"`
	OtherwiseFailure string   `json:"otherwiseOnFailure,omitempty"`
	Outputs          []Output `json:"outputs,omitempty"`
	TimeoutMs        int64    `json:"timeoutMs,omitempty"`
	DependsOn        []string `json:"dependsOn,omitempty"`
}

// Describe describes workflow w of bundle b. sensitive names inputs to mark
// secret in addition to those the schema marks (format: password,
// writeOnly, x-sensitive).
func Describe(b *arazzo.Bundle, w *arazzo.Workflow, sensitive []string) *Workflow {
	out := &Workflow{WorkflowID: w.WorkflowID, Summary: w.Summary, Description: w.Description,
		Inputs: Inputs(b.Document, w, sensitive), DependsOn: w.DependsOn,
		Parameters: params(w.Parameters), Steps: []Step{}, Outputs: outputs(w.Outputs)}
	for _, a := range w.SuccessActions {
		out.SuccessActions = append(out.SuccessActions, action(a, false))
	}
	for _, a := range w.FailureActions {
		out.FailureActions = append(out.FailureActions, action(a, true))
	}
	for i, s := range w.Steps {
		st := Step{StepID: s.StepID, Description: s.Description, Operation: operation(b, s),
			Parameters: params(s.Parameters), SuccessCriteria: criteria(s.SuccessCriteria),
			Outputs: outputs(s.Outputs), TimeoutMs: s.Timeout, DependsOn: s.DependsOn}
		if rb := s.RequestBody; rb != nil {
			body := &Body{ContentType: rb.ContentType}
			if rb.HasPayload {
				body.Payload = plain(rb.Payload)
			}
			for _, r := range rb.Replacements {
				body.Replacements = append(body.Replacements, Replacement{Target: r.Target, Value: plain(r.Value)})
			}
			st.RequestBody = body
		}
		for _, a := range s.OnSuccess {
			st.OnSuccess = append(st.OnSuccess, action(a, false))
		}
		for _, a := range s.OnFailure {
			st.OnFailure = append(st.OnFailure, action(a, true))
		}
		st.InheritedSuccess = inherited(s.OnSuccess, w.SuccessActions)
		st.InheritedFailure = inherited(s.OnFailure, w.FailureActions)
		if !alwaysTaken(merged(s.OnSuccess, w.SuccessActions)) {
			if i+1 < len(w.Steps) {
				st.OtherwiseSuccess = "next step (" + w.Steps[i+1].StepID + ")"
			} else {
				st.OtherwiseSuccess = "the workflow succeeds"
			}
		}
		if !alwaysTaken(merged(s.OnFailure, w.FailureActions)) {
			st.OtherwiseFailure = "the workflow fails"
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// merged returns a step's actions followed by the workflow-level ones it
// does not redefine by name: the order in which the engine tries them.
func merged(own, wf []*arazzo.Action) []*arazzo.Action {
	out := append([]*arazzo.Action(nil), own...)
	for _, w := range wf {
		if !hasName(own, w.Name) {
			out = append(out, w)
		}
	}
	return out
}

// inherited names the workflow-level actions that apply after own: none
// when one of own always applies.
func inherited(own, wf []*arazzo.Action) []string {
	if alwaysTaken(own) {
		return nil
	}
	var names []string
	for _, w := range wf {
		if !hasName(own, w.Name) {
			names = append(names, w.Name)
		}
	}
	return names
}

func hasName(as []*arazzo.Action, name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

// alwaysTaken reports whether one of the actions is a goto or end without
// criteria: it always applies, so the default never does.
func alwaysTaken(as []*arazzo.Action) bool {
	for _, a := range as {
		if len(a.Criteria) == 0 && (a.Type == arazzo.ActionEnd || a.Type == arazzo.ActionGoto) {
			return true
		}
	}
	return false
}

func operation(b *arazzo.Bundle, s *arazzo.Step) Operation {
	switch {
	case s.WorkflowID != "":
		op := Operation{Kind: "workflow", WorkflowID: s.WorkflowID}
		if _, _, err := b.ResolveWorkflow(s.WorkflowID); err != nil {
			op.Error = err.Error()
		}
		return op
	case s.OperationID != "" || s.OperationPath != "":
		op := Operation{Kind: "operation", OperationID: s.OperationID, OperationPath: s.OperationPath}
		ro, err := b.ResolveOperation(s)
		if err != nil {
			op.Error = err.Error()
			return op
		}
		op.Source, op.Method, op.Path, op.Summary = ro.Source, ro.Operation.Method, ro.Operation.Path, ro.Operation.Summary
		return op
	case s.XOperation != nil:
		m := strings.ToUpper(s.XOperation.Method)
		if m == "" {
			m = "GET"
		}
		return Operation{Kind: "x-operation", Method: m, URL: s.XOperation.URL}
	case s.ChannelPath != "":
		return Operation{Kind: "channel", ChannelPath: s.ChannelPath, Action: s.Action}
	}
	return Operation{Kind: "none", Error: "the step names no operationId, operationPath, workflowId or x-operation"}
}

func params(ps []*arazzo.Parameter) []Param {
	var out []Param
	for _, p := range ps {
		out = append(out, Param{Name: p.Name, In: p.In, Value: plain(p.Value)})
	}
	return out
}

func outputs(os []*arazzo.Output) []Output {
	out := []Output{}
	for _, o := range os {
		out = append(out, Output{Name: o.Name, Value: plain(o.Value)})
	}
	return out
}

func criteria(cs []*arazzo.Criterion) []Criterion {
	var out []Criterion
	for _, c := range cs {
		t := c.Type.Type
		if t == "" {
			t = arazzo.CriterionSimple
		}
		out = append(out, Criterion{Condition: c.Condition, Type: t, Version: c.Type.Version, Context: c.Context})
	}
	return out
}

func action(a *arazzo.Action, failure bool) Action {
	out := Action{Name: a.Name, Type: a.Type, StepID: a.StepID, WorkflowID: a.WorkflowID,
		RetryAfter: a.RetryAfter, RetryLimit: a.RetryLimit, Criteria: criteria(a.Criteria), Parameters: params(a.Parameters)}
	out.Text = ActionText(a, failure)
	return out
}

// ActionText says what an action does in words: "end", "goto restoreBackup
// when $statusCode == 404", "retry after 5s, up to 60 times". failure tells
// a failure action from a success action (an `end` failure action fails the
// workflow).
func ActionText(a *arazzo.Action, failure bool) string {
	var s string
	switch a.Type {
	case arazzo.ActionEnd:
		s = "end"
		if failure {
			s += " (the workflow fails)"
		} else {
			s += " (the workflow succeeds)"
		}
	case arazzo.ActionGoto:
		switch {
		case a.WorkflowID != "":
			s = "goto workflow " + a.WorkflowID
		default:
			s = "goto " + a.StepID
		}
	case arazzo.ActionRetry:
		s = retryText(a)
	default:
		s = strconv.Quote(a.Type)
	}
	if len(a.Criteria) > 0 {
		s += " when " + CriteriaText(criteria(a.Criteria))
	}
	return s
}

func retryText(a *arazzo.Action) string {
	var b strings.Builder
	switch {
	case a.WorkflowID != "":
		b.WriteString("run workflow " + a.WorkflowID + ", then ")
	case a.StepID != "":
		b.WriteString("run step " + a.StepID + ", then ")
	}
	limit, def := 1, true
	if a.RetryLimit != nil {
		limit, def = *a.RetryLimit, false
	}
	if limit <= 0 {
		b.WriteString("retry: never (retryLimit 0)")
		return b.String()
	}
	b.WriteString("retry")
	if a.RetryAfter != nil && *a.RetryAfter > 0 {
		b.WriteString(" after " + Seconds(*a.RetryAfter))
	} else {
		b.WriteString(" at once")
	}
	times := "times"
	if limit == 1 {
		times = "time"
	}
	b.WriteString(", up to " + strconv.Itoa(limit) + " " + times)
	if def {
		b.WriteString(" (default retryLimit)")
	}
	return b.String()
}

// Seconds formats a retryAfter value: 5 → "5s", 0.5 → "0.5s".
func Seconds(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) + "s" }

// CriteriaText joins criteria with "and".
func CriteriaText(cs []Criterion) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Text()
	}
	return strings.Join(parts, " and ")
}

// Text is the criterion in words: the condition, with its type and context
// when it is not a simple condition.
func (c Criterion) Text() string {
	c.Condition = strings.TrimSpace(c.Condition)
	switch c.Type {
	case "", arazzo.CriterionSimple:
		if c.Context != "" {
			return c.Condition + " (on " + c.Context + ")"
		}
		return c.Condition
	case arazzo.CriterionRegex:
		return c.Context + " matches /" + c.Condition + "/"
	}
	t := c.Type
	if c.Version != "" {
		t += " " + c.Version
	}
	if c.Context != "" {
		return c.Condition + " (" + t + " on " + c.Context + ")"
	}
	return c.Condition + " (" + t + ")"
}

// plain turns model values (which may hold 1.1 Selector Objects) into JSON
// values.
func plain(v any) any {
	switch t := v.(type) {
	case *arazzo.Selector:
		m := map[string]any{"context": t.Context, "selector": t.Selector}
		if t.Type.Type != "" {
			m["type"] = t.Type.Type
		}
		return m
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// ValueText renders a parameter, output or payload value on one line:
// strings as written, other values as compact JSON.
func ValueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(data)
}

// Inputs lists the top-level inputs of w's inputs schema in document
// order, following local $refs and allOf. extraSensitive names inputs to
// mark sensitive besides those the schema marks.
func Inputs(d *arazzo.Document, w *arazzo.Workflow, extraSensitive []string) []Input {
	out := []Input{}
	for _, p := range d.InputProperties(w) {
		in := Input{Name: p.Name, Required: p.Required, Sensitive: p.Sensitive() || slices.Contains(extraSensitive, p.Name)}
		if pm := p.Schema; pm != nil {
			in.Type = typeText(pm["type"])
			in.Format, _ = pm["format"].(string)
			in.Description, _ = pm["description"].(string)
			if def, ok := pm["default"]; ok && def != nil {
				in.Default = def
				if in.Sensitive {
					in.Default = "***"
				}
			}
		}
		out = append(out, in)
	}
	return out
}

func typeText(t any) string {
	switch v := t.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "|")
	}
	return ""
}
