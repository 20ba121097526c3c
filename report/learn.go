package report

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// Learner is a runner.Observer that teaches a Masker the secrets a run
// handles, as soon as they appear:
//
//   - the values of sensitive inputs (SensitiveInputs) and of inputs the
//     document sends in a sensitive header or a cookie, when a workflow
//     starts;
//   - the values of sensitive headers of every request and response, and
//     the password of a URL's userinfo, when an attempt ends;
//   - the values of step outputs the document later sends in a sensitive
//     header or a cookie (a token returned by a login step), when the step
//     ends.
//
// Put it before every other observer so that they see masked values.
type Learner struct {
	m         *Masker
	sensitive func(workflowID string) []string
	// headerInputs[workflow][input] and headerOutputs[workflow][step][output]
	// are the inputs and step outputs that flow into sensitive headers.
	headerInputs  map[string]map[string]bool
	headerOutputs map[string]map[string][]string
}

var (
	reInputRef  = regexp.MustCompile(`\$inputs\.([A-Za-z0-9_.\-]+)`)
	reOutputRef = regexp.MustCompile(`\$steps\.([A-Za-z0-9_\-]+)\.outputs\.([A-Za-z0-9_.\-]+)`)
)

// NewLearner returns a Learner for doc (nil: headers and inputs only).
// sensitiveInputs lists a workflow's inputs whose schema marks them secret.
func NewLearner(m *Masker, doc *arazzo.Document, sensitiveInputs func(workflowID string) []string) *Learner {
	l := &Learner{m: m, sensitive: sensitiveInputs,
		headerInputs: map[string]map[string]bool{}, headerOutputs: map[string]map[string][]string{}}
	if doc == nil {
		return l
	}
	for _, w := range doc.Workflows {
		if w == nil {
			continue
		}
		for _, st := range w.Steps {
			if st == nil {
				continue
			}
			params := append(append([]*arazzo.Parameter(nil), w.Parameters...), st.Parameters...)
			for _, p := range params {
				if p == nil || !(p.In == arazzo.InCookie || p.In == arazzo.InHeader && m.SensitiveHeader(p.Name)) {
					continue
				}
				text := fmt.Sprint(p.Value)
				if s, ok := p.Value.(string); ok {
					text = s
				}
				for _, mm := range reInputRef.FindAllStringSubmatch(text, -1) {
					set := l.headerInputs[w.WorkflowID]
					if set == nil {
						set = map[string]bool{}
						l.headerInputs[w.WorkflowID] = set
					}
					set[mm[1]] = true
				}
				for _, mm := range reOutputRef.FindAllStringSubmatch(text, -1) {
					steps := l.headerOutputs[w.WorkflowID]
					if steps == nil {
						steps = map[string][]string{}
						l.headerOutputs[w.WorkflowID] = steps
					}
					steps[mm[1]] = append(steps[mm[1]], mm[2])
				}
			}
		}
	}
	return l
}

// SensitiveStep reports whether some outputs of the step are sent later
// in a sensitive header: a terminal printer should hold what it prints
// about the step's attempts until the step has finished (and the Learner
// has seen its outputs).
func (l *Learner) SensitiveStep(workflowID, stepID string) bool {
	return len(l.headerOutputs[workflowID][stepID]) > 0
}

// Observe implements runner.Observer.
func (l *Learner) Observe(e runner.Event) {
	switch ev := e.(type) {
	case runner.WorkflowStarted:
		var names []string
		if l.sensitive != nil {
			names = l.sensitive(ev.WorkflowID)
		}
		for n := range l.headerInputs[ev.WorkflowID] {
			names = append(names, n)
		}
		for _, n := range names {
			if v, ok := lookup(ev.Inputs, n); ok {
				l.m.AddValue(v)
			}
		}
	case runner.StepAttempt:
		if ev.Request != nil {
			l.m.Learn(ev.Request.Header)
			// A password in the URL (a --server http://user:pass@host).
			if u, err := url.Parse(ev.Request.URL); err == nil && u.User != nil {
				if pass, ok := u.User.Password(); ok {
					l.m.add(minLearnedLen, pass)
				}
			}
		}
		if ev.Response != nil {
			l.m.Learn(ev.Response.Header)
		}
	case runner.StepFinished:
		if ev.Result == nil {
			return
		}
		refs := l.headerOutputs[ev.WorkflowID][ev.Result.StepID]
		for name, v := range ev.Result.Outputs {
			for _, ref := range refs {
				if ref == name || strings.HasPrefix(ref, name+".") {
					l.m.AddValue(v)
					break
				}
			}
		}
	}
}

// lookup finds an input by name, or by a dotted path into an object input
// ($inputs.credentials.password).
func lookup(in map[string]any, name string) (any, bool) {
	if v, ok := in[name]; ok {
		return v, true
	}
	head, rest, ok := strings.Cut(name, ".")
	if !ok {
		return nil, false
	}
	sub, isMap := in[head].(map[string]any)
	if !isMap {
		return nil, false
	}
	return lookup(sub, rest)
}
