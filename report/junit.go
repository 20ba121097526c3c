package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-arazzo/arazzo/runner"
)

// JUnit XML in the common Ant/Jenkins shape that GitHub Actions reporters
// (dorny/test-reporter, mikepenz/action-junit-report), GitLab
// (artifacts:reports:junit) and Jenkins (the junit step) read:
// testsuites > testsuite > testcase > failure|error|skipped.

// JUnitSuites is the <testsuites> root element.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one workflow run.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

// JUnitProperty is a name/value pair of a suite (workflow inputs, status).
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one step.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitProblem is a <failure> or <error>: a one-line message, the error
// kind as type, and the full explanation as text.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitSkipped marks a step that never ran.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// failureKinds are the error kinds reported as <failure> (the API answered
// but not as the workflow expected); every other kind is an <error> (the
// step could not be carried out).
var failureKinds = map[string]bool{
	string(runner.KindCriteria): true, string(runner.KindEnd): true,
	string(runner.KindRetryLimit): true, string(runner.KindWorkflow): true,
	string(runner.KindDependency): true,
}

// BuildJUnit turns a run report into JUnit suites: one testsuite per
// workflow run (nested, dependency and goto-target workflows get their own,
// named "parent > child"), one testcase per step. A step is a failure or an
// error only where its workflow failed; a step whose failure an onFailure
// action handled passes, with the handling in its system-out.
func BuildJUnit(r *Run) *JUnitSuites {
	out := &JUnitSuites{Name: r.Tool.Name, Time: seconds(r.DurationMs)}
	if r.Document != "" {
		out.Name = path.Base(filepath.ToSlash(r.Document))
	}
	for _, w := range r.Workflows {
		addSuites(out, w, "", 0)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	return out
}

func addSuites(out *JUnitSuites, w *Workflow, prefix string, depth int) {
	if depth > maxDepth {
		return
	}
	name := prefix + w.WorkflowID
	for _, d := range w.Dependencies {
		addSuites(out, d, name+" > ", depth+1)
	}
	s := JUnitSuite{Name: name, Time: seconds(w.DurationMs), Timestamp: junitTime(w.StartedAt)}
	s.Properties = append(s.Properties, JUnitProperty{Name: "status", Value: w.Status})
	for _, k := range sortedKeys(w.Inputs) {
		s.Properties = append(s.Properties, JUnitProperty{Name: "input." + k, Value: display(w.Inputs[k])})
	}
	for _, k := range sortedKeys(w.Outputs) {
		s.Properties = append(s.Properties, JUnitProperty{Name: "output." + k, Value: display(w.Outputs[k])})
	}
	// Readers group testcases by classname: the workflow (with its
	// callers, for nested ones).
	classname := name
	e := w.Error
	for _, st := range w.Steps {
		c := JUnitCase{Name: st.StepID, Classname: classname, Time: seconds(st.DurationMs)}
		var info []string
		if st.Request != "" {
			info = append(info, "request: "+st.Request+statusText(st.StatusCode))
		}
		info = append(info, fmt.Sprintf("attempts: %d (transport retries: %d)", st.Attempts, st.TransportRetries))
		if st.Action != "" {
			info = append(info, "action: "+st.Action)
		}
		switch {
		case st.Status == string(runner.StatusSkipped):
			c.Skipped = &JUnitSkipped{Message: "step did not run"}
			info = nil
		case e != nil && e.StepID == st.StepID:
			p := &JUnitProblem{Message: oneLine(e.Message), Type: e.Kind, Text: explain(e)}
			if failureKinds[e.Kind] {
				c.Failure = p
			} else {
				c.Error = p
			}
		case st.Status == string(runner.StatusCancelled):
			c.Error = &JUnitProblem{Message: "run cancelled", Type: string(runner.KindCancelled), Text: strings.Join(info, "\n")}
		case st.Status == string(runner.StatusFailed):
			for _, cr := range st.Criteria {
				if !cr.Passed {
					info = append(info, "failed (handled): "+criterionText(cr))
				}
			}
			if st.Error != "" {
				info = append(info, "error (handled): "+st.Error)
			}
		}
		c.SystemOut = strings.Join(info, "\n")
		s.Cases = append(s.Cases, c)
	}
	if e != nil && (e.StepID == "" || !hasStep(w, e.StepID)) {
		// A workflow-level failure (inputs, dependencies, servers): a
		// testcase of its own so that every reader shows it.
		c := JUnitCase{Name: "(workflow)", Classname: classname, Time: "0.000"}
		p := &JUnitProblem{Message: oneLine(e.Message), Type: e.Kind, Text: explain(e)}
		if failureKinds[e.Kind] {
			c.Failure = p
		} else {
			c.Error = p
		}
		s.Cases = append(s.Cases, c)
	}
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	out.Suites = append(out.Suites, s)
	for _, st := range w.Steps {
		if st.Nested != nil {
			addSuites(out, st.Nested, name+" > ", depth+1)
		}
	}
	if w.TransferredTo != nil {
		addSuites(out, w.TransferredTo, name+" > ", depth+1)
	}
}

func hasStep(w *Workflow, id string) bool {
	for _, s := range w.Steps {
		if s.StepID == id {
			return true
		}
	}
	return false
}

// explain is the failure text: what went wrong, the request, each failed
// criterion with its resolved values, and the hint.
func explain(e *Error) string {
	var b strings.Builder
	b.WriteString(e.Message)
	b.WriteString("\n")
	if e.Request != "" {
		fmt.Fprintf(&b, "request: %s%s\n", e.Request, statusText(e.StatusCode))
	}
	for _, c := range e.Criteria {
		if !c.Passed {
			fmt.Fprintf(&b, "failed: %s\n", criterionText(c))
		}
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "hint: %s\n", e.Hint)
	}
	return b.String()
}

func criterionText(c Criterion) string {
	s := c.Explanation
	if s == "" {
		s = c.Condition
	}
	if c.Error != "" && !strings.Contains(s, c.Error) {
		s += " (" + c.Error + ")"
	}
	return s
}

func statusText(code int) string {
	if code == 0 {
		return ""
	}
	return fmt.Sprintf(" → %d", code)
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// junitTime is the ISO 8601 form Ant's schema wants (no zone; UTC).
func junitTime(rfc string) string {
	t, err := time.Parse(time.RFC3339Nano, rfc)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}

// WriteJUnit writes the run as JUnit XML with every secret m knows masked.
func WriteJUnit(w io.Writer, r *Run, m *Masker) error {
	s := BuildJUnit(r)
	maskJUnit(s, m)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encoding the JUnit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func maskJUnit(s *JUnitSuites, m *Masker) {
	s.Name = m.String(s.Name)
	for i := range s.Suites {
		su := &s.Suites[i]
		su.Name = m.String(su.Name)
		su.SystemOut = m.String(su.SystemOut)
		for j := range su.Properties {
			su.Properties[j].Name = m.String(su.Properties[j].Name)
			su.Properties[j].Value = m.String(su.Properties[j].Value)
		}
		for j := range su.Cases {
			c := &su.Cases[j]
			c.Name, c.Classname, c.SystemOut = m.String(c.Name), m.String(c.Classname), m.String(c.SystemOut)
			for _, p := range []*JUnitProblem{c.Failure, c.Error} {
				if p != nil {
					p.Message, p.Type, p.Text = m.String(p.Message), m.String(p.Type), m.String(p.Text)
				}
			}
			if c.Skipped != nil {
				c.Skipped.Message = m.String(c.Skipped.Message)
			}
		}
	}
}
