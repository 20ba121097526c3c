package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/report"
	"github.com/go-arazzo/arazzo/runner"
)

// progress prints one line per step attempt as a run goes, then a
// summary. It is line-oriented so that CI logs read well; colour is used
// only on a terminal. With verbose it also dumps each request and
// response (headers and bodies, truncated; binary bodies as size and
// digest). Everything it prints goes through the masker.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	mask    *masker
	quiet   bool
	verbose bool
	color   bool
	// hold reports whether what is printed about a step must wait until the
	// step has finished, because the step returns a secret (a token) that
	// the masker learns only from its outputs.
	hold    func(workflowID, stepID string) bool
	pending map[string][]runner.Event
}

func newProgress(w io.Writer, m *masker, quiet, verbose, color bool) *progress {
	return &progress{w: w, mask: m, quiet: quiet, verbose: verbose, color: color, pending: map[string][]runner.Event{}}
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

// stepKey identifies one execution context of a step for holding output.
func stepKey(workflowID, stepID string, depth int) string {
	return fmt.Sprintf("%s\x00%s\x00%d", workflowID, stepID, depth)
}

// Observe implements runner.Observer.
func (p *progress) Observe(e runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := e.(type) {
	case runner.StepAttempt:
		key := stepKey(ev.WorkflowID, ev.StepID, ev.Depth)
		if _, held := p.pending[key]; held || p.hold != nil && p.hold(ev.WorkflowID, ev.StepID) {
			p.pending[key] = append(p.pending[key], e)
			return
		}
	case runner.ActionTaken:
		if key := stepKey(ev.WorkflowID, ev.StepID, ev.Depth); p.pending[key] != nil {
			p.pending[key] = append(p.pending[key], e)
			return
		}
	case runner.StepFinished:
		if ev.Result != nil {
			key := stepKey(ev.WorkflowID, ev.Result.StepID, ev.Depth)
			held := p.pending[key]
			delete(p.pending, key)
			for _, h := range held {
				p.render(h)
			}
		}
	case runner.WorkflowFinished:
		// Nothing may stay held once its workflow is over.
		if ev.Result != nil {
			for key, held := range p.pending {
				if strings.HasPrefix(key, ev.Result.WorkflowID+"\x00") && strings.HasSuffix(key, fmt.Sprintf("\x00%d", ev.Depth)) {
					delete(p.pending, key)
					for _, h := range held {
						p.render(h)
					}
				}
			}
		}
	}
	p.render(e)
}

// render prints one event.
func (p *progress) render(e runner.Event) {
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
			line += " " + ev.Request.Method + " " + p.mask.URL(ev.Request.URL)
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
		if p.verbose {
			p.dump(ev)
		}
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

// verboseBodyMax is how much of a text body --verbose prints.
const verboseBodyMax = 2048

// dump prints an attempt's request and response, Hurl-style: "> " for
// what was sent, "< " for what came back.
func (p *progress) dump(ev runner.StepAttempt) {
	pre := indent(ev.Depth) + "    "
	var b strings.Builder
	if r := ev.Request; r != nil {
		fmt.Fprintf(&b, "%s> %s %s\n", pre, r.Method, p.mask.URL(r.URL))
		p.dumpHeaders(&b, pre+"> ", r.Header)
		p.dumpBody(&b, pre+"> ", r.Header.Get("Content-Type"), r.Body)
	}
	if r := ev.Response; r != nil {
		fmt.Fprintf(&b, "%s< %d %s (%s)\n", pre, r.StatusCode, http.StatusText(r.StatusCode), roundDuration(r.Duration))
		p.dumpHeaders(&b, pre+"< ", r.Header)
		p.dumpBody(&b, pre+"< ", r.Header.Get("Content-Type"), r.Body)
	}
	p.printf("%s", p.paint(cDim, b.String()))
}

func (p *progress) dumpHeaders(b *strings.Builder, pre string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", pre, k, p.mask.HeaderValue(k, v))
		}
	}
}

func (p *progress) dumpBody(b *strings.Builder, pre, contentType string, body []byte) {
	if len(body) == 0 {
		return
	}
	if !report.IsText(contentType, body) {
		fmt.Fprintf(b, "%s%s\n", pre, report.BinarySummary(body))
		return
	}
	// Mask before cutting, so that no part of a secret survives the cut.
	text := string(p.mask.Bytes(body))
	more := 0
	if len(text) > verboseBodyMax {
		cut := verboseBodyMax
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		more = len(text) - cut
		text = text[:cut]
	}
	b.WriteString(pre + "\n")
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(pre + strings.TrimRight(line, "\r") + "\n")
	}
	if more > 0 {
		fmt.Fprintf(b, "%s… (%d more bytes)\n", pre, more)
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

// displayValue shows a value for people: null for missing, a size and
// digest for binary data, JSON for structures.
func displayValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case []byte:
		return report.BinarySummary(t)
	}
	return expression.Stringify(v)
}

// masker is the CLI's handle on the one masking component that the
// terminal output, --format json and every report share.
type masker struct {
	*report.Masker
}

func newMasker(secrets []string) *masker {
	return &masker{report.NewMasker(secrets...)}
}

func (m *masker) add(s string)         { m.Add(s) }
func (m *masker) mask(s string) string { return m.String(s) }

// runOutput is everything a run prints or writes: the live progress, the
// report files and the secret learning that masks them all. It is the
// run's one observer: the learner sees each event first, so that the
// others never print a secret it has just discovered.
type runOutput struct {
	masker  *masker
	prog    *progress
	reports *report.Files
	har     runner.Observer
	learner *report.Learner
}

// newRunOutput checks the output flags and opens the report files, before
// anything is run. Its errors are usage errors.
func newRunOutput(cmd *cobra.Command, f *runFlags, m *masker) (*runOutput, error) {
	if f.quiet && f.verbose {
		return nil, fmt.Errorf("--quiet and --verbose contradict each other; use one")
	}
	for _, h := range f.maskHeaders {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " :\t") {
			return nil, fmt.Errorf("--mask-header %q: want a header name such as X-Session-Token", h)
		}
	}
	m.AddHeaders(f.maskHeaders...)
	if short := report.Short(f.secrets...); len(short) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "arazzo: warning: %d --secret value(s) shorter than %d characters will not be masked\n", len(short), report.MinSecretLen)
	}
	o := &runOutput{masker: m}
	files, err := report.OpenFiles(f.reports, m.Masker, report.HAROptions{})
	if err != nil {
		return nil, err
	}
	o.reports = files
	o.har = files.Observer()
	switch {
	case f.format == "text":
		out := cmd.OutOrStdout()
		o.prog = newProgress(out, m, f.quiet, f.verbose, useColor(out, f.noColor))
	case f.verbose:
		// stdout holds the JSON document: progress goes to stderr.
		errw := cmd.ErrOrStderr()
		o.prog = newProgress(errw, m, false, true, useColor(errw, f.noColor))
	}
	return o, nil
}

// setDocument completes the output once the document is open: which
// inputs and step outputs are secret.
func (o *runOutput) setDocument(doc *engine.Document) {
	o.learner = report.NewLearner(o.masker.Masker, doc.Bundle.Document, doc.SensitiveInputs)
	if o.prog != nil {
		o.prog.hold = o.learner.SensitiveStep
	}
}

// Observe implements runner.Observer.
func (o *runOutput) Observe(e runner.Event) {
	if o.learner != nil {
		o.learner.Observe(e)
	}
	if o.har != nil {
		o.har.Observe(e)
	}
	if o.prog != nil {
		o.prog.Observe(e)
	}
}

// writeReports writes every --report file, whatever the run's outcome.
func (o *runOutput) writeReports(doc *engine.Document, results []*engine.Result, start time.Time) error {
	meta := report.Meta{Tool: "arazzo", ToolVersion: version, Document: doc.File(),
		Started: start, Duration: time.Since(start), SensitiveInputs: doc.SensitiveInputs,
		Steps: func(id string) []string {
			w := doc.Bundle.Document.Workflow(id)
			if w == nil {
				return nil
			}
			ids := make([]string, 0, len(w.Steps))
			for _, s := range w.Steps {
				ids = append(ids, s.StepID)
			}
			return ids
		}}
	return o.reports.Write(results, meta)
}

// close releases the report files (after writeReports, or when the run
// stopped before it ran anything).
func (o *runOutput) close() { o.reports.Close() }
