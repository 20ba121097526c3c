package flowgraph

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-arazzo/arazzo/arazzo"
)

// NodeKind says what a graph node stands for.
type NodeKind string

// Node kinds.
const (
	NodeStart     NodeKind = "start"
	NodeStep      NodeKind = "step"
	NodeNested    NodeKind = "nested"    // a step that runs another workflow
	NodeSucceeded NodeKind = "succeeded" // the workflow succeeds (last step, or an end success action)
	NodeEnded     NodeKind = "ended"     // an end failure action: the workflow fails
	NodeFailed    NodeKind = "failed"    // no failure action applied: the workflow fails
	NodeWorkflow  NodeKind = "workflow"  // another workflow, target of a goto or retry
)

// EdgeKind says why control moves along an edge.
type EdgeKind string

// Edge kinds.
const (
	EdgeStart EdgeKind = "start"
	EdgeNext  EdgeKind = "next"  // default on success: the next step (or success)
	EdgeGoto  EdgeKind = "goto"  // a goto action
	EdgeRetry EdgeKind = "retry" // a retry action
	EdgeEnd   EdgeKind = "end"   // an end action
	EdgeFail  EdgeKind = "fail"  // default on failure
)

// Node is a vertex of a workflow graph.
type Node struct {
	// ID is a generated identifier, safe in Mermaid and DOT ("w0_s2").
	ID    string
	Kind  NodeKind
	Label string
}

// Edge is a transition between nodes.
type Edge struct {
	From, To string
	Kind     EdgeKind
	// Failure is true for transitions taken after a failed attempt.
	Failure bool
	Label   string
}

// WorkflowGraph is the control-flow graph of one workflow.
type WorkflowGraph struct {
	WorkflowID string
	Nodes      []Node
	Edges      []Edge
}

// Build returns the control-flow graph of each workflow, in order. The
// edges follow the engine's semantics: a step's actions are tried in
// order, followed by the workflow-level ones it does not redefine; an
// action without criteria that is a goto or an end always applies, so the
// actions after it and the default are never reached.
func Build(b *arazzo.Bundle, ws []*arazzo.Workflow) []*WorkflowGraph {
	var out []*WorkflowGraph
	for i, w := range ws {
		out = append(out, build(b, w, "w"+strconv.Itoa(i)+"_"))
	}
	return out
}

type builder struct {
	g      *WorkflowGraph
	prefix string
	w      *arazzo.Workflow
	extra  map[string]string // terminal and workflow nodes already added
}

func build(b *arazzo.Bundle, w *arazzo.Workflow, prefix string) *WorkflowGraph {
	g := &WorkflowGraph{WorkflowID: w.WorkflowID}
	bd := &builder{g: g, prefix: prefix, w: w, extra: map[string]string{}}
	start := prefix + "start"
	g.Nodes = append(g.Nodes, Node{ID: start, Kind: NodeStart, Label: "start"})
	for i, s := range w.Steps {
		n := Node{ID: bd.stepID(i), Kind: NodeStep, Label: s.StepID}
		switch {
		case s.WorkflowID != "":
			n.Kind = NodeNested
			n.Label += "\nworkflow " + s.WorkflowID
		case s.OperationID != "" || s.OperationPath != "":
			if ro, err := b.ResolveOperation(s); err == nil {
				n.Label += "\n" + ro.Operation.Method + " " + ro.Operation.Path
			} else if s.OperationID != "" {
				n.Label += "\n" + s.OperationID
			}
		case s.XOperation != nil:
			m := strings.ToUpper(s.XOperation.Method)
			if m == "" {
				m = "GET"
			}
			n.Label += "\n" + m + " " + s.XOperation.URL
		case s.ChannelPath != "":
			n.Label += "\nchannel " + s.ChannelPath
		}
		g.Nodes = append(g.Nodes, n)
	}
	if len(w.Steps) == 0 {
		g.Edges = append(g.Edges, Edge{From: start, To: bd.terminal(NodeSucceeded), Kind: EdgeStart})
		return g
	}
	g.Edges = append(g.Edges, Edge{From: start, To: bd.stepID(0), Kind: EdgeStart})
	for i, s := range w.Steps {
		from := bd.stepID(i)
		// Success side.
		if !bd.actions(from, merged(s.OnSuccess, w.SuccessActions), false) {
			to := ""
			if i+1 < len(w.Steps) {
				to = bd.stepID(i + 1)
			} else {
				to = bd.terminal(NodeSucceeded)
			}
			label := ""
			if len(merged(s.OnSuccess, w.SuccessActions)) > 0 {
				label = "otherwise"
			}
			g.Edges = append(g.Edges, Edge{From: from, To: to, Kind: EdgeNext, Label: label})
		}
		// Failure side.
		if !bd.actions(from, merged(s.OnFailure, w.FailureActions), true) {
			g.Edges = append(g.Edges, Edge{From: from, To: bd.terminal(NodeFailed), Kind: EdgeFail, Failure: true, Label: "failure"})
		}
	}
	return g
}

func (bd *builder) stepID(i int) string { return bd.prefix + "s" + strconv.Itoa(i) }

// terminal returns the id of a terminal node, adding it on first use.
func (bd *builder) terminal(k NodeKind) string {
	key := "terminal:" + string(k)
	if id, ok := bd.extra[key]; ok {
		return id
	}
	var id, label string
	switch k {
	case NodeSucceeded:
		id, label = bd.prefix+"succeeded", "succeeded"
	case NodeEnded:
		id, label = bd.prefix+"ended", "failed (end)"
	default:
		id, label = bd.prefix+"failed", "failed"
	}
	bd.extra[key] = id
	bd.g.Nodes = append(bd.g.Nodes, Node{ID: id, Kind: k, Label: label})
	return id
}

// workflowNode returns the id of the node standing for another workflow.
func (bd *builder) workflowNode(ref string) string {
	key := "workflow:" + ref
	if id, ok := bd.extra[key]; ok {
		return id
	}
	id := bd.prefix + "wf" + strconv.Itoa(len(bd.extra))
	bd.extra[key] = id
	bd.g.Nodes = append(bd.g.Nodes, Node{ID: id, Kind: NodeWorkflow, Label: "workflow " + ref})
	return id
}

// actions adds the edges of one action list and reports whether an action
// always applies (so the default edge is never taken).
func (bd *builder) actions(from string, as []*arazzo.Action, failure bool) bool {
	for _, a := range as {
		label := a.Name
		var to string
		var kind EdgeKind
		switch a.Type {
		case arazzo.ActionEnd:
			kind = EdgeEnd
			if failure {
				to = bd.terminal(NodeEnded)
			} else {
				to = bd.terminal(NodeSucceeded)
			}
			label += ": end"
		case arazzo.ActionGoto:
			kind = EdgeGoto
			switch {
			case a.WorkflowID != "":
				to = bd.workflowNode(a.WorkflowID)
			case a.StepID != "" && bd.w.StepIndex(a.StepID) >= 0:
				to = bd.stepID(bd.w.StepIndex(a.StepID))
			default:
				continue // invalid target: validation reports it
			}
			label += ": goto"
		case arazzo.ActionRetry:
			kind = EdgeRetry
			switch {
			case a.WorkflowID != "":
				to = bd.workflowNode(a.WorkflowID)
			case a.StepID != "" && bd.w.StepIndex(a.StepID) >= 0:
				to = bd.stepID(bd.w.StepIndex(a.StepID))
			default:
				to = from
			}
			limit := 1
			if a.RetryLimit != nil {
				limit = *a.RetryLimit
			}
			label += ": retry ≤" + strconv.Itoa(limit)
			if a.RetryAfter != nil && *a.RetryAfter > 0 {
				label += " after " + Seconds(*a.RetryAfter)
			}
		default:
			continue
		}
		if len(a.Criteria) > 0 {
			label += "\nwhen " + CriteriaText(criteria(a.Criteria))
		}
		bd.g.Edges = append(bd.g.Edges, Edge{From: from, To: to, Kind: kind, Failure: failure, Label: label})
		if len(a.Criteria) == 0 && (a.Type == arazzo.ActionEnd || a.Type == arazzo.ActionGoto) {
			return true
		}
	}
	return false
}

// Mermaid writes the graphs as one Mermaid flowchart; with several
// workflows (or title set), each is a subgraph.
func Mermaid(out io.Writer, gs []*WorkflowGraph, subgraphs bool) error {
	p := &printer{w: out}
	p.line(0, "flowchart TD")
	for gi, g := range gs {
		ind := 2
		if subgraphs {
			p.line(2, "subgraph w%d_graph[\"%s\"]", gi, mermaidText(g.WorkflowID))
			p.line(4, "direction TB")
			ind = 4
		}
		for _, n := range g.Nodes {
			l := mermaidText(n.Label)
			var shape string
			switch n.Kind {
			case NodeStart:
				shape = "((\"" + l + "\"))"
			case NodeNested:
				shape = "[[\"" + l + "\"]]"
			case NodeSucceeded, NodeEnded, NodeFailed:
				shape = "([\"" + l + "\"])"
			case NodeWorkflow:
				shape = "[/\"" + l + "\"/]"
			default:
				shape = "[\"" + l + "\"]"
			}
			p.line(ind, "%s%s", n.ID, shape)
		}
		for _, e := range g.Edges {
			arrow := "-->"
			if e.Failure {
				arrow = "-.->"
			}
			if e.Label == "" {
				p.line(ind, "%s %s %s", e.From, arrow, e.To)
			} else {
				p.line(ind, "%s %s|\"%s\"| %s", e.From, arrow, mermaidText(e.Label), e.To)
			}
		}
		for _, n := range g.Nodes {
			if cls := mermaidClass(n.Kind); cls != "" {
				p.line(ind, "class %s %s", n.ID, cls)
			}
		}
		if subgraphs {
			p.line(2, "end")
		}
	}
	p.line(2, "classDef ok fill:#d4edda,stroke:#2e7d32")
	p.line(2, "classDef bad fill:#f8d7da,stroke:#c62828")
	p.line(2, "classDef nested fill:#e3f2fd,stroke:#1565c0")
	return p.err
}

func mermaidClass(k NodeKind) string {
	switch k {
	case NodeSucceeded:
		return "ok"
	case NodeEnded, NodeFailed:
		return "bad"
	case NodeNested, NodeWorkflow:
		return "nested"
	}
	return ""
}

// mermaidText escapes text for a double-quoted Mermaid label: characters
// that Mermaid reads as syntax (quotes, brackets, pipes, #, ;, <, >, &, `)
// become entity codes (#34;), and line breaks become <br>.
func mermaidText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteString("<br>")
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r > 0x7f:
			b.WriteRune(r)
		case strings.ContainsRune(" .,_-/$:=+*'!?@^~", r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
	}
	return b.String()
}

// Dot writes the graphs as one Graphviz digraph; with several workflows
// (or subgraphs set), each is a cluster.
func Dot(out io.Writer, gs []*WorkflowGraph, subgraphs bool) error {
	p := &printer{w: out}
	name := "arazzo"
	if len(gs) == 1 {
		name = gs[0].WorkflowID
	}
	p.line(0, "digraph %s {", dotQuote(name))
	p.line(2, "rankdir=TB;")
	p.line(2, "node [shape=box, style=\"rounded\", fontname=\"Helvetica\"];")
	p.line(2, "edge [fontname=\"Helvetica\", fontsize=10];")
	for gi, g := range gs {
		ind := 2
		if subgraphs {
			p.line(2, "subgraph cluster_%d {", gi)
			p.line(4, "label=%s;", dotQuote(g.WorkflowID))
			ind = 4
		}
		for _, n := range g.Nodes {
			attrs := "label=" + dotQuote(n.Label)
			switch n.Kind {
			case NodeStart:
				attrs += ", shape=circle"
			case NodeNested:
				attrs += ", peripheries=2, style=\"rounded,filled\", fillcolor=\"#e3f2fd\""
			case NodeWorkflow:
				attrs += ", shape=component, style=filled, fillcolor=\"#e3f2fd\""
			case NodeSucceeded:
				attrs += ", shape=oval, style=filled, fillcolor=\"#d4edda\""
			case NodeEnded, NodeFailed:
				attrs += ", shape=oval, style=filled, fillcolor=\"#f8d7da\""
			}
			p.line(ind, "%s [%s];", n.ID, attrs)
		}
		for _, e := range g.Edges {
			var attrs []string
			if e.Label != "" {
				attrs = append(attrs, "label="+dotQuote(e.Label))
			}
			switch {
			case e.Kind == EdgeRetry:
				attrs = append(attrs, "style=dashed", "color=\"#ef6c00\"")
			case e.Failure:
				attrs = append(attrs, "style=dashed", "color=\"#c62828\"")
			}
			if len(attrs) == 0 {
				p.line(ind, "%s -> %s;", e.From, e.To)
			} else {
				p.line(ind, "%s -> %s [%s];", e.From, e.To, strings.Join(attrs, ", "))
			}
		}
		if subgraphs {
			p.line(2, "}")
		}
	}
	p.line(0, "}")
	return p.err
}

// dotQuote makes s a DOT double-quoted string: backslashes and quotes are
// escaped, line breaks become \n (a centred line break in a label) and
// other control characters spaces.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
