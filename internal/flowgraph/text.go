package flowgraph

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteText writes the description for a person to read.
func (w *Workflow) WriteText(out io.Writer) error {
	p := &printer{w: out}
	p.line(0, "workflow %s", w.WorkflowID)
	if w.Summary != "" {
		p.block(2, w.Summary)
	}
	if w.Description != "" && w.Description != w.Summary {
		p.block(2, w.Description)
	}
	if len(w.DependsOn) > 0 {
		p.line(2, "depends on: %s", strings.Join(w.DependsOn, ", "))
	}

	p.blank()
	if len(w.Inputs) == 0 {
		p.line(0, "inputs: none")
	} else {
		p.line(0, "inputs:")
		tw := tabwriter.NewWriter(&trimWriter{w: p}, 0, 0, 2, ' ', 0)
		for _, in := range w.Inputs {
			typ := in.Type
			if typ == "" {
				typ = "any"
			}
			if in.Format != "" {
				typ += " (" + in.Format + ")"
			}
			var flags []string
			if in.Required {
				flags = append(flags, "required")
			} else {
				flags = append(flags, "optional")
			}
			if in.Default != nil {
				flags = append(flags, "default "+jsonText(in.Default))
			}
			if in.Sensitive {
				flags = append(flags, "sensitive")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", in.Name, typ, strings.Join(flags, ", "), oneLine(in.Description))
		}
		tw.Flush()
	}
	if len(w.Parameters) > 0 {
		p.blank()
		p.line(0, "parameters (every step):")
		p.params(2, w.Parameters)
	}

	p.blank()
	p.line(0, "steps:")
	for i, s := range w.Steps {
		if i > 0 {
			p.blank()
		}
		head := fmt.Sprintf("%d. %s", i+1, s.StepID)
		p.line(2, "%s", head)
		ind := 2 + len(strconv.Itoa(i+1)) + 2
		if s.Description != "" {
			p.block(ind, s.Description)
		}
		p.line(ind, "%s", "operation: "+s.Operation.Text())
		if len(s.DependsOn) > 0 {
			p.line(ind, "depends on: %s", strings.Join(s.DependsOn, ", "))
		}
		if s.TimeoutMs > 0 {
			p.line(ind, "timeout: %dms", s.TimeoutMs)
		}
		if len(s.Parameters) > 0 {
			p.line(ind, "parameters:")
			p.params(ind+2, s.Parameters)
		}
		if b := s.RequestBody; b != nil {
			ct := b.ContentType
			if ct == "" {
				ct = "(no content type)"
			}
			p.line(ind, "request body: %s", ct)
			if b.Payload != nil {
				p.line(ind+2, "payload: %s", truncate(oneLine(jsonText(b.Payload)), 200))
			}
			for _, r := range b.Replacements {
				p.line(ind+2, "replace %s = %s", r.Target, truncate(oneLine(ValueText(r.Value)), 200))
			}
		}
		if len(s.SuccessCriteria) == 0 {
			p.line(ind, "success when: the status is 2xx (no successCriteria)")
		} else {
			p.line(ind, "success when:")
			for _, c := range s.SuccessCriteria {
				p.line(ind+2, "- %s", oneLine(c.Text()))
			}
		}
		p.actions(ind, "on success:", s.OnSuccess, s.InheritedSuccess, "successActions", s.OtherwiseSuccess)
		p.actions(ind, "on failure:", s.OnFailure, s.InheritedFailure, "failureActions", s.OtherwiseFailure)
		if len(s.Outputs) > 0 {
			p.line(ind, "outputs:")
			p.outputs(ind+2, s.Outputs)
		}
	}
	if len(w.SuccessActions) > 0 {
		p.blank()
		p.line(0, "successActions (every step that does not redefine them):")
		for _, a := range w.SuccessActions {
			p.action(2, a)
		}
	}
	if len(w.FailureActions) > 0 {
		p.blank()
		p.line(0, "failureActions (every step that does not redefine them):")
		for _, a := range w.FailureActions {
			p.action(2, a)
		}
	}
	p.blank()
	if len(w.Outputs) == 0 {
		p.line(0, "outputs: none")
	} else {
		p.line(0, "outputs:")
		p.outputs(2, w.Outputs)
	}
	return p.err
}

// Text is the operation on one line: "createDatabaseBackup
// (postgresManagementApi): POST /databases/{databaseId}/backups".
func (o Operation) Text() string {
	var s string
	switch o.Kind {
	case "workflow":
		s = "workflow " + o.WorkflowID
	case "operation":
		s = o.OperationID
		if s == "" {
			s = o.OperationPath
		}
		if o.Source != "" {
			s += " (" + o.Source + ")"
		}
		if o.Method != "" {
			s += ": " + o.Method + " " + o.Path
		}
		if o.Summary != "" {
			s += " — " + oneLine(o.Summary)
		}
	case "x-operation":
		s = "x-operation " + o.Method + " " + o.URL
	case "channel":
		s = "AsyncAPI channel " + o.ChannelPath
		if o.Action != "" {
			s += " (" + o.Action + ")"
		}
	default:
		s = "none"
	}
	if o.Error != "" {
		s += " [unresolved: " + oneLine(o.Error) + "]"
	}
	return s
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

func (p *printer) line(indent int, format string, args ...any) {
	fmt.Fprintf(p, "%s%s\n", strings.Repeat(" ", indent), fmt.Sprintf(format, args...))
}

func (p *printer) blank() { fmt.Fprintln(p) }

// block writes multi-line text, each line indented.
func (p *printer) block(indent int, text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		p.line(indent, "%s", strings.TrimRight(l, " \t\r"))
	}
}

func (p *printer) params(indent int, ps []Param) {
	tw := tabwriter.NewWriter(&trimWriter{w: p}, 0, 0, 1, ' ', 0)
	for _, prm := range ps {
		in := prm.In
		if in == "" {
			in = "input"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t= %s\n", strings.Repeat(" ", indent), in, prm.Name, truncate(oneLine(ValueText(prm.Value)), 200))
	}
	tw.Flush()
}

func (p *printer) outputs(indent int, os []Output) {
	tw := tabwriter.NewWriter(&trimWriter{w: p}, 0, 0, 1, ' ', 0)
	for _, o := range os {
		fmt.Fprintf(tw, "%s%s\t= %s\n", strings.Repeat(" ", indent), o.Name, truncate(oneLine(ValueText(o.Value)), 200))
	}
	tw.Flush()
}

func (p *printer) action(indent int, a Action) {
	p.line(indent, "- %s: %s", a.Name, oneLine(a.Text))
	if len(a.Parameters) > 0 {
		p.line(indent+2, "with inputs:")
		p.params(indent+4, a.Parameters)
	}
}

func (p *printer) actions(indent int, title string, own []Action, inherited []string, field, otherwise string) {
	if len(own) == 0 && len(inherited) == 0 {
		p.line(indent, "%s %s", title, otherwise)
		return
	}
	p.line(indent, "%s", title)
	for _, a := range own {
		p.action(indent+2, a)
	}
	if len(inherited) > 0 {
		p.line(indent+2, "- then the workflow's %s: %s", field, strings.Join(inherited, ", "))
	}
	if otherwise != "" {
		p.line(indent+2, "- otherwise: %s", otherwise)
	}
}

// trimWriter drops the spaces tabwriter pads empty last cells with.
type trimWriter struct {
	w       io.Writer
	pending []byte
}

func (t *trimWriter) Write(b []byte) (int, error) {
	for _, c := range b {
		switch c {
		case ' ':
			t.pending = append(t.pending, c)
			continue
		case '\n':
			t.pending = t.pending[:0]
		}
		if len(t.pending) > 0 {
			if _, err := t.w.Write(t.pending); err != nil {
				return 0, err
			}
			t.pending = t.pending[:0]
		}
		if _, err := t.w.Write([]byte{c}); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return ValueText(v)
}

// oneLine folds line breaks so that a value stays on its line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)), " ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
