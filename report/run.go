package report

import (
	"crypto/sha256"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/runner"
)

// Version is the version of the JSON run report format, written as its
// "reportVersion". It changes only for incompatible changes (a field
// removed, renamed or given another type or meaning); new fields may be
// added within a version, so readers must ignore fields they do not know.
const Version = "1"

// Meta describes a run beyond its workflow results.
type Meta struct {
	// Tool and ToolVersion name the program that ran the workflows.
	Tool, ToolVersion string
	// Document is the Arazzo document that was run.
	Document string
	// Started and Duration time the whole run.
	Started  time.Time
	Duration time.Duration
	// Steps, when set, lists the step ids a workflow declares, in order, so
	// that steps that never ran are reported as skipped.
	Steps func(workflowID string) []string
	// SensitiveInputs, when set, lists the inputs of a workflow whose values
	// are replaced by *** whatever their length.
	SensitiveInputs func(workflowID string) []string
}

// Run is the JSON run report (format Version). Its JSON Schema is
// report/schema/run-report.schema.json.
type Run struct {
	ReportVersion string      `json:"reportVersion"`
	Tool          Tool        `json:"tool"`
	Document      string      `json:"document,omitempty"`
	StartedAt     string      `json:"startedAt"`
	DurationMs    int64       `json:"durationMs"`
	Status        string      `json:"status"`
	Summary       Summary     `json:"summary"`
	Workflows     []*Workflow `json:"workflows"`
}

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts what a run did; nested, dependency and goto-target
// workflows are counted with the workflow that ran them.
type Summary struct {
	Workflows int `json:"workflows"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
	Steps     int `json:"steps"`
	Skipped   int `json:"skipped"`
	Attempts  int `json:"attempts"`
}

// Workflow is the outcome of one workflow run.
type Workflow struct {
	WorkflowID string         `json:"workflowId"`
	Status     string         `json:"status"`
	StartedAt  string         `json:"startedAt,omitempty"`
	DurationMs int64          `json:"durationMs"`
	Inputs     map[string]any `json:"inputs"`
	Outputs    map[string]any `json:"outputs"`
	Error      *Error         `json:"error,omitempty"`
	Steps      []*Step        `json:"steps"`
	// Dependencies are the dependsOn workflows run first.
	Dependencies []*Workflow `json:"dependencies,omitempty"`
	// TransferredTo is the workflow a goto moved control to.
	TransferredTo *Workflow `json:"transferredTo,omitempty"`
}

// Error explains why a workflow failed.
type Error struct {
	StepID     string      `json:"stepId,omitempty"`
	Kind       string      `json:"kind"`
	Message    string      `json:"message"`
	Request    string      `json:"request,omitempty"`
	StatusCode int         `json:"statusCode,omitempty"`
	Criteria   []Criterion `json:"criteria,omitempty"`
	Hint       string      `json:"hint,omitempty"`
}

// Criterion is one success criterion's outcome.
type Criterion struct {
	Condition   string `json:"condition"`
	Passed      bool   `json:"passed"`
	Explanation string `json:"explanation,omitempty"`
	Error       string `json:"error,omitempty"`
}

// Step is the outcome of one step: counters over all its attempts and the
// details of the last one.
type Step struct {
	StepID           string         `json:"stepId"`
	Status           string         `json:"status"`
	Executions       int            `json:"executions"`
	Attempts         int            `json:"attempts"`
	TransportRetries int            `json:"transportRetries"`
	StatusCode       int            `json:"statusCode,omitempty"`
	Request          string         `json:"request,omitempty"`
	Action           string         `json:"action,omitempty"`
	Criteria         []Criterion    `json:"criteria,omitempty"`
	Outputs          map[string]any `json:"outputs,omitempty"`
	Error            string         `json:"error,omitempty"`
	DurationMs       int64          `json:"durationMs"`
	// Nested is the run of the workflow a workflowId step called.
	Nested *Workflow `json:"nested,omitempty"`
}

// Build makes the run report of results. Sensitive inputs are replaced by
// *** here; every other secret is masked when the report is written.
func Build(results []*runner.WorkflowResult, meta Meta) *Run {
	r := &Run{
		ReportVersion: Version,
		Tool:          Tool{Name: meta.Tool, Version: meta.ToolVersion},
		Document:      meta.Document,
		StartedAt:     timeString(meta.Started),
		DurationMs:    meta.Duration.Milliseconds(),
		Status:        string(runner.StatusSucceeded),
		Workflows:     []*Workflow{},
	}
	if r.Tool.Name == "" {
		r.Tool.Name = "arazzo"
	}
	for _, res := range results {
		if res == nil {
			continue
		}
		w := buildWorkflow(res, meta, 0)
		r.Workflows = append(r.Workflows, w)
		r.Summary.Workflows++
		switch res.Status {
		case runner.StatusSucceeded:
			r.Summary.Succeeded++
		case runner.StatusCancelled:
			r.Summary.Cancelled++
			r.Status = string(runner.StatusCancelled)
		default:
			r.Summary.Failed++
			if r.Status != string(runner.StatusCancelled) {
				r.Status = string(runner.StatusFailed)
			}
		}
		count(w, &r.Summary)
	}
	return r
}

func count(w *Workflow, s *Summary) {
	for _, st := range w.Steps {
		if st.Status == string(runner.StatusSkipped) {
			s.Skipped++
		} else {
			s.Steps++
		}
		s.Attempts += st.Attempts
		if st.Nested != nil {
			count(st.Nested, s)
		}
	}
	for _, d := range w.Dependencies {
		count(d, s)
	}
	if w.TransferredTo != nil {
		count(w.TransferredTo, s)
	}
}

// maxDepth bounds the nesting a report follows (results are trees, but a
// report must never recurse without end on a malformed one).
const maxDepth = 64

func buildWorkflow(res *runner.WorkflowResult, meta Meta, depth int) *Workflow {
	w := &Workflow{
		WorkflowID: res.WorkflowID,
		Status:     string(res.Status),
		StartedAt:  timeString(res.Started),
		DurationMs: res.Duration.Milliseconds(),
		Inputs:     map[string]any{},
		Outputs:    map[string]any{},
		Steps:      []*Step{},
	}
	sensitive := map[string]bool{}
	if meta.SensitiveInputs != nil {
		for _, n := range meta.SensitiveInputs(res.WorkflowID) {
			sensitive[n] = true
		}
	}
	for k, v := range res.Inputs {
		if sensitive[k] {
			w.Inputs[k] = Mask
		} else {
			w.Inputs[k] = jsonValue(v)
		}
	}
	for k, v := range res.Outputs {
		w.Outputs[k] = jsonValue(v)
	}
	if e := res.Error; e != nil {
		w.Error = &Error{StepID: e.StepID, Kind: string(e.Kind), Message: e.Message, Request: e.Request,
			StatusCode: e.StatusCode, Hint: e.Hint, Criteria: criteria(e.Criteria)}
	}
	ran := map[string]bool{}
	for _, s := range res.Steps {
		if s == nil {
			continue
		}
		ran[s.StepID] = true
		st := &Step{StepID: s.StepID, Status: string(s.Status), Executions: s.Executions, Attempts: s.Attempts,
			TransportRetries: s.TransportRetries, StatusCode: s.StatusCode, Request: s.Request, Action: s.Action,
			Criteria: criteria(s.Criteria), Error: s.Error, DurationMs: s.Duration.Milliseconds()}
		if len(s.Outputs) > 0 {
			st.Outputs = map[string]any{}
			for k, v := range s.Outputs {
				st.Outputs[k] = jsonValue(v)
			}
		}
		if s.Nested != nil && depth < maxDepth {
			st.Nested = buildWorkflow(s.Nested, meta, depth+1)
		}
		w.Steps = append(w.Steps, st)
	}
	if meta.Steps != nil {
		for _, id := range meta.Steps(res.WorkflowID) {
			if !ran[id] {
				ran[id] = true
				w.Steps = append(w.Steps, &Step{StepID: id, Status: string(runner.StatusSkipped)})
			}
		}
	}
	if depth < maxDepth {
		for _, d := range res.Dependencies {
			if d != nil {
				w.Dependencies = append(w.Dependencies, buildWorkflow(d, meta, depth+1))
			}
		}
		if res.TransferredTo != nil {
			w.TransferredTo = buildWorkflow(res.TransferredTo, meta, depth+1)
		}
	}
	return w
}

func criteria(outs []expression.Outcome) []Criterion {
	var cs []Criterion
	for _, o := range outs {
		c := Criterion{Condition: o.Condition, Passed: o.Passed, Explanation: o.Explanation}
		if o.Err != nil {
			c.Error = o.Err.Error()
		}
		cs = append(cs, c)
	}
	return cs
}

// jsonValue makes a run value JSON-friendly: binary data becomes a
// "<N bytes, sha256 …>" summary instead of base64 of the whole payload.
func jsonValue(v any) any {
	switch t := v.(type) {
	case []byte:
		return BinarySummary(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = jsonValue(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = jsonValue(x)
		}
		return out
	}
	return v
}

// BinarySummary describes binary data without showing it.
func BinarySummary(b []byte) string {
	return fmt.Sprintf("<%d bytes, sha256 %x>", len(b), sha256.Sum256(b))
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// WriteJSON writes the report as indented JSON with every secret m knows
// masked.
func WriteJSON(w io.Writer, r *Run, m *Masker) error {
	data, err := m.EncodeJSON(r)
	if err != nil {
		return fmt.Errorf("encoding the JSON report: %w", err)
	}
	_, err = w.Write(data)
	return err
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// display renders a value on one line: strings as they are, everything
// else as JSON.
func display(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := marshalNoHTML(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
