package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/runner"
)

// progress prints one line per step attempt as a run goes, then a
// summary. It is line-oriented so that CI logs read well; colour is used
// only on a terminal.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	mask  *masker
	quiet bool
	color bool
}

func newProgress(w io.Writer, m *masker, quiet, color bool) *progress {
	return &progress{w: w, mask: m, quiet: quiet, color: color}
}

// useColor: only for a terminal, never with NO_COLOR or --no-color.
func useColor(w io.Writer, noColor bool) bool {
	if noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

const (
	cReset  = "\x1b[0m"
	cRed    = "\x1b[31m"
	cGreen  = "\x1b[32m"
	cYellow = "\x1b[33m"
	cDim    = "\x1b[2m"
	cBold   = "\x1b[1m"
)

func (p *progress) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + cReset
}

func (p *progress) printf(format string, args ...any) {
	fmt.Fprint(p.w, p.mask.mask(fmt.Sprintf(format, args...)))
}

func indent(depth int) string { return strings.Repeat("  ", depth+1) }

// Observe implements runner.Observer.
func (p *progress) Observe(e runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := e.(type) {
	case runner.WorkflowStarted:
		if p.quiet {
			return
		}
		p.printf("%s%s\n", strings.Repeat("  ", ev.Depth), p.paint(cBold, "▶ "+ev.WorkflowID))
	case runner.StepAttempt:
		if p.quiet {
			return
		}
		mark := p.paint(cGreen, "✓")
		if !ev.Passed {
			mark = p.paint(cYellow, "✗")
		}
		line := fmt.Sprintf("%s%s %-20s", indent(ev.Depth), mark, ev.StepID)
		if ev.Attempt > 1 {
			line += fmt.Sprintf(" attempt %d", ev.Attempt)
		}
		if ev.Request != nil {
			line += " " + ev.Request.Method + " " + ev.Request.URL
		}
		if ev.Response != nil {
			line += fmt.Sprintf(" → %d", ev.Response.StatusCode)
			if ev.Response.TransportRetries > 0 {
				line += fmt.Sprintf(" (after %d transport retries)", ev.Response.TransportRetries)
			}
		} else if ev.Err != nil {
			line += " → " + ev.Err.Error()
		}
		line += p.paint(cDim, fmt.Sprintf(" (%s)", roundDuration(ev.Duration)))
		if !ev.Passed {
			if why := failedCriteria(ev.Criteria); why != "" {
				line += "\n" + indent(ev.Depth) + "    " + why
			}
		}
		p.printf("%s\n", line)
	case runner.Waiting:
		if p.quiet {
			return
		}
		p.printf("%s  … %s: retry %d/%d in %s (%s)\n", indent(ev.Depth), ev.StepID, ev.Attempt-1, ev.Limit, roundDuration(ev.Duration), ev.Reason)
	case runner.ActionTaken:
		if p.quiet || ev.Type == "next" || ev.Type == "retry" {
			return
		}
		target := ""
		if ev.Target != "" {
			target = " → " + ev.Target
		}
		name := ""
		if ev.Name != "" {
			name = " (" + ev.Name + ")"
		}
		p.printf("%s  ↪ %s%s%s\n", indent(ev.Depth), ev.Type, target, name)
	}
}

func failedCriteria(outs []expression.Outcome) string {
	var parts []string
	for _, o := range outs {
		if o.Passed {
			continue
		}
		s := o.Explanation
		if s == "" {
			s = o.Condition
		}
		if o.Err != nil && !strings.Contains(s, o.Err.Error()) {
			s += " (" + o.Err.Error() + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// summary prints each workflow's verdict, outputs and, on failure, why.
func (p *progress) summary(results []*engine.Result, total time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	steps, attempts, failed := 0, 0, 0
	for _, res := range results {
		for _, s := range res.Steps {
			steps++
			attempts += s.Attempts
		}
		if res.Status != runner.StatusSucceeded {
			failed++
		}
		if res.Status == runner.StatusSucceeded {
			p.printf("%s %s succeeded in %s\n", p.paint(cGreen, "✔"), res.WorkflowID, roundDuration(res.Duration))
		} else {
			p.printf("%s %s %s after %s\n", p.paint(cRed, "✘"), res.WorkflowID, res.Status, roundDuration(res.Duration))
		}
		if len(res.Outputs) > 0 {
			keys := make([]string, 0, len(res.Outputs))
			for k := range res.Outputs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p.printf("    %s = %s\n", k, displayValue(res.Outputs[k]))
			}
		}
		if e := res.Error; e != nil {
			p.explain(e)
		}
	}
	p.printf("%d workflows (%d failed), %d steps, %d attempts, %s\n", len(results), failed, steps, attempts, roundDuration(total))
}

// explain tells why a workflow failed, on one screen.
func (p *progress) explain(e *runner.StepError) {
	where := e.WorkflowID
	if e.StepID != "" {
		where += " › step " + e.StepID
	}
	p.printf("  %s %s [%s]\n", p.paint(cRed, "error:"), where, e.Kind)
	if e.Request != "" {
		status := "no response"
		if e.StatusCode != 0 {
			status = fmt.Sprintf("HTTP %d", e.StatusCode)
		}
		p.printf("    request: %s → %s\n", e.Request, status)
	}
	if len(e.Criteria) > 0 {
		for _, c := range e.Criteria {
			s := c.Explanation
			if s == "" {
				s = c.Condition
			}
			p.printf("    failed:  %s\n", s)
		}
	} else {
		p.printf("    %s\n", e.Message)
	}
	if e.Hint != "" {
		p.printf("    hint:    %s\n", e.Hint)
	}
}

// masker replaces secret values with *** wherever they appear.
type masker struct {
	secrets []string
}

func newMasker(secrets []string) *masker {
	m := &masker{}
	for _, s := range secrets {
		m.add(s)
	}
	return m
}

func (m *masker) add(s string) {
	// Very short values would mask innocent text everywhere.
	if len(s) < 4 {
		return
	}
	for _, x := range m.secrets {
		if x == s {
			return
		}
	}
	m.secrets = append(m.secrets, s)
	sort.Slice(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
}

func (m *masker) mask(s string) string {
	if m == nil {
		return s
	}
	for _, x := range m.secrets {
		if strings.Contains(s, x) {
			s = strings.ReplaceAll(s, x, "***")
		}
	}
	return s
}

// maskValue masks every string inside a JSON-shaped value by a JSON round trip.
func (m *masker) maskValue(v any) any {
	if m == nil || len(m.secrets) == 0 {
		return v
	}
	return maskedJSON{v: v, m: m}
}

type maskedJSON struct {
	v any
	m *masker
}

func (mj maskedJSON) MarshalJSON() ([]byte, error) {
	data, err := marshalNoEscape(mj.v)
	if err != nil {
		return nil, err
	}
	return []byte(mj.m.mask(string(data))), nil
}

// displayValue shows a value for people: null for missing, a size and
// digest for binary data, JSON for structures.
func displayValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case []byte:
		return fmt.Sprintf("<%d bytes, sha256 %x>", len(t), sha256.Sum256(t))
	}
	return expression.Stringify(v)
}
