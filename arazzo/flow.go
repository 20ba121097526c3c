package arazzo

import (
	"fmt"
	"strconv"
	"strings"
)

// workflowDependsOn checks workflow-level dependsOn: every entry names a
// workflow, and the local dependencies have no cycle.
func (c *checker) workflowDependsOn() {
	for i, w := range c.d.Workflows {
		for k, dep := range w.DependsOn {
			ptr := wfPtr(i) + "/dependsOn/" + strconv.Itoa(k)
			if _, _, ok := splitSourceRef(dep); ok {
				c.workflowRef(dep, ptr)
				continue
			}
			if c.d.Workflow(dep) == nil {
				c.errorf("depends-on-exists", ptr, "use the workflowId of a workflow in this document, or $sourceDescriptions.<name>.<workflowId>",
					"workflow %q depends on %q, which is not a workflow in this document", w.WorkflowID, dep)
			}
		}
	}
	edges := func(n int) []int {
		var out []int
		for _, dep := range c.d.Workflows[n].DependsOn {
			for j, w := range c.d.Workflows {
				if w.WorkflowID == dep && dep != "" {
					out = append(out, j)
					break
				}
			}
		}
		return out
	}
	for _, cyc := range findCycles(len(c.d.Workflows), edges) {
		names := make([]string, len(cyc)+1)
		for k, n := range cyc {
			names[k] = c.d.Workflows[n].WorkflowID
		}
		names[len(cyc)] = names[0]
		c.errorf("depends-on-cycle", wfPtr(cyc[0])+"/dependsOn", "remove one of the dependencies",
			"workflow dependencies form a cycle: %s", strings.Join(names, " → "))
	}
}

// stepDependsOn checks 1.1 step-level dependsOn entries: a stepId of the
// same workflow, $workflows.<id>.steps.<stepId>, or
// $sourceDescriptions.<name>.<workflowId>.steps.<stepId>.
func (c *checker) stepDependsOn(wi int, w *Workflow) {
	for j, s := range w.Steps {
		for k, dep := range s.DependsOn {
			ptr := stepPtr(wi, j) + "/dependsOn/" + strconv.Itoa(k)
			switch {
			case strings.HasPrefix(dep, "$workflows."):
				wid, sid, ok := strings.Cut(strings.TrimPrefix(dep, "$workflows."), ".steps.")
				if !ok {
					c.errorf("depends-on-exists", ptr, "write $workflows.<workflowId>.steps.<stepId>", "malformed step reference %q", dep)
				} else if ow := c.d.Workflow(wid); ow == nil {
					c.errorf("depends-on-exists", ptr, "use an existing workflowId", "step %q depends on %q: no workflow %q", s.StepID, dep, wid)
				} else if ow.Step(sid) == nil {
					c.errorf("depends-on-exists", ptr, "use an existing stepId", "step %q depends on %q: workflow %q has no step %q", s.StepID, dep, wid, sid)
				}
			case strings.HasPrefix(dep, "$sourceDescriptions."):
				name, rest, _ := splitSourceRef(dep)
				wid, sid, ok := strings.Cut(rest, ".steps.")
				if !ok {
					c.errorf("depends-on-exists", ptr, "write $sourceDescriptions.<name>.<workflowId>.steps.<stepId>", "malformed step reference %q", dep)
					continue
				}
				if c.d.SourceDescription(name) == nil {
					c.errorf("depends-on-exists", ptr, "list the Arazzo document in sourceDescriptions", "step %q depends on %q: no source description %q", s.StepID, dep, name)
					continue
				}
				if src := c.b.Sources[name]; src != nil && src.Arazzo != nil {
					ow := src.Arazzo.Document.Workflow(wid)
					if ow == nil || ow.Step(sid) == nil {
						c.errorf("depends-on-exists", ptr, "check the workflowId and stepId in the source document", "step %q depends on %q, which does not exist in source %q", s.StepID, dep, name)
					}
				}
			default:
				if dep == s.StepID {
					c.errorf("depends-on-cycle", ptr, "remove the entry", "step %q depends on itself", s.StepID)
				} else if w.Step(dep) == nil {
					c.errorf("depends-on-exists", ptr, "use a stepId of this workflow, or $workflows.<workflowId>.steps.<stepId>",
						"step %q depends on %q, which is not a step of workflow %q", s.StepID, dep, w.WorkflowID)
				}
			}
		}
	}
	edges := func(n int) []int {
		var out []int
		for _, dep := range w.Steps[n].DependsOn {
			if x := w.StepIndex(dep); x >= 0 && x != n {
				out = append(out, x)
			}
		}
		return out
	}
	for _, cyc := range findCycles(len(w.Steps), edges) {
		names := make([]string, len(cyc)+1)
		for k, n := range cyc {
			names[k] = w.Steps[n].StepID
		}
		names[len(cyc)] = names[0]
		c.errorf("depends-on-cycle", stepPtr(wi, cyc[0])+"/dependsOn", "remove one of the dependencies",
			"step dependencies form a cycle: %s", strings.Join(names, " → "))
	}
}

// findCycles returns the elementary cycles found by a depth-first search
// (one per back edge), each as the list of nodes on it.
func findCycles(n int, edges func(int) []int) [][]int {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, n)
	var stack []int
	var cycles [][]int
	var visit func(int)
	visit = func(v int) {
		color[v] = grey
		stack = append(stack, v)
		for _, u := range edges(v) {
			switch color[u] {
			case white:
				visit(u)
			case grey:
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == u {
						cycles = append(cycles, append([]int(nil), stack[k:]...))
						break
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[v] = black
	}
	for v := 0; v < n; v++ {
		if color[v] == white {
			visit(v)
		}
	}
	return cycles
}

// flow warns about unreachable steps and goto loops with no exit.
func (c *checker) flow(wi int, w *Workflow) {
	n := len(w.Steps)
	if n == 0 || usesStepDependsOn(w) {
		return
	}
	unconditionalSuccess := func(s *Step) bool {
		for _, a := range append(append([]*Action(nil), s.OnSuccess...), w.SuccessActions...) {
			if len(a.Criteria) == 0 && (a.Type == ActionEnd || a.Type == ActionGoto) {
				return true
			}
		}
		return false
	}
	// Reachability: step 0 runs first; a step runs after the one before it
	// when that one can fall through (no unconditional success action), or
	// when any goto/retry action targets it.
	succ := make([][]int, n)
	for j, s := range w.Steps {
		if j+1 < n && !unconditionalSuccess(s) {
			succ[j] = append(succ[j], j+1)
		}
		for _, a := range allActions(w, s) {
			if a.StepID != "" && (a.Type == ActionGoto || a.Type == ActionRetry) {
				if x := w.StepIndex(a.StepID); x >= 0 {
					succ[j] = append(succ[j], x)
				}
			}
		}
	}
	seen := make([]bool, n)
	queue := []int{0}
	seen[0] = true
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, u := range succ[v] {
			if !seen[u] {
				seen[u] = true
				queue = append(queue, u)
			}
		}
	}
	for j := range w.Steps {
		if !seen[j] {
			c.warnf("step-unreachable", stepPtr(wi, j), "remove the step, or make an earlier step fall through or goto it",
				"step %q can never run: the step before it always ends or jumps elsewhere on success, and no goto targets it", w.Steps[j].StepID)
		}
	}
	c.gotoLoops(wi, w)
}

func allActions(w *Workflow, s *Step) []*Action {
	out := make([]*Action, 0, len(s.OnSuccess)+len(s.OnFailure)+len(w.SuccessActions)+len(w.FailureActions))
	out = append(out, s.OnSuccess...)
	out = append(out, s.OnFailure...)
	out = append(out, w.SuccessActions...)
	return append(out, w.FailureActions...)
}

// gotoLoops finds cycles in which every step, on success, deterministically
// moves to the next step of the cycle: its first success action is an
// unconditional goto, or it has no success action and falls through. Such
// a loop only ends when a request fails.
func (c *checker) gotoLoops(wi int, w *Workflow) {
	n := len(w.Steps)
	next := make([]int, n)
	actPtr := make([]string, n)
	for j, s := range w.Steps {
		next[j] = -1
		acts := append(append([]*Action(nil), s.OnSuccess...), w.SuccessActions...)
		if len(acts) == 0 {
			if j+1 < n {
				next[j] = j + 1
			}
			continue
		}
		a := acts[0]
		if len(a.Criteria) == 0 && a.Type == ActionGoto && a.StepID != "" {
			next[j] = w.StepIndex(a.StepID)
			if len(s.OnSuccess) > 0 {
				actPtr[j] = stepPtr(wi, j) + "/onSuccess/0"
			} else {
				actPtr[j] = wfPtr(wi) + "/successActions/0"
			}
		}
	}
	edges := func(v int) []int {
		if next[v] >= 0 {
			return []int{next[v]}
		}
		return nil
	}
	for _, cyc := range findCycles(n, edges) {
		ptr := ""
		names := make([]string, 0, len(cyc)+1)
		for _, v := range cyc {
			names = append(names, w.Steps[v].StepID)
			if ptr == "" && actPtr[v] != "" {
				ptr = actPtr[v]
			}
		}
		names = append(names, names[0])
		if ptr == "" {
			ptr = stepPtr(wi, cyc[0])
		}
		c.warnf("goto-loop-no-exit", ptr, "give the goto action `criteria`, or add a conditional `end` action before it",
			"steps %s loop forever on success: every success action in the loop is an unconditional goto", strings.Join(names, " → "))
	}
}

func hasBackwardGoto(w *Workflow) bool {
	for j, s := range w.Steps {
		for _, a := range allActions(w, s) {
			if a.StepID != "" && a.Type != ActionEnd {
				if x := w.StepIndex(a.StepID); x >= 0 && x <= j {
					return true
				}
			}
		}
	}
	return false
}

// pollWithoutRetry warns about a step whose success criteria test a value
// of the response (a status field reaching a state) but which neither
// retries nor loops: it polls once and gives up.
func (c *checker) pollWithoutRetry(w *Workflow, j int, s *Step, sp string) {
	tested := -1
	for k, cr := range s.SuccessCriteria {
		if TestsState(cr) {
			tested = k
			break
		}
	}
	if tested < 0 || len(s.OnFailure) > 0 {
		// Explicit failure actions mean the author decided what a
		// not-yet-reached state does.
		return
	}
	for _, a := range w.FailureActions {
		if a.Type == ActionRetry {
			return
		}
		if a.Type == ActionGoto && a.StepID != "" {
			if x := w.StepIndex(a.StepID); x >= 0 && x <= j {
				return
			}
		}
	}
	c.warnf("poll-without-retry", fmt.Sprintf("%s/successCriteria/%d", sp, tested),
		"add onFailure: - {name: retry, type: retry, retryAfter: 5, retryLimit: 60}",
		"step %q waits for a response value (%s) but has no retry: if the first response is not yet in that state, the workflow fails instead of polling",
		s.StepID, strings.TrimSpace(cr(s.SuccessCriteria[tested])))
}

func cr(c *Criterion) string {
	if c.Context != "" && c.Type.Type != "" && c.Type.Type != CriterionSimple {
		return c.Context + " " + c.Condition
	}
	return c.Condition
}

// TestsState reports whether c waits for a response value to reach a
// state (a status field compared with a string, a regex, a JSONPath or
// XPath test) rather than checking the status code or a flag: the kind of
// criterion a polling step has. The validator and the runner's hints use
// it to spot polls that do not retry.
func TestsState(c *Criterion) bool {
	text := c.Context + " " + c.Condition
	// A receive step (AsyncAPI) waits for its message by itself: not polling.
	if strings.Contains(text, "$message.") {
		return false
	}
	reads := strings.Contains(text, "$response.body") || strings.Contains(text, "$response.header") ||
		(c.Type.Type != "" && c.Type.Type != CriterionSimple && c.Context != "$statusCode")
	if !reads {
		return false
	}
	if strings.Contains(c.Condition, "null") {
		return false
	}
	if c.Type.Type == CriterionRegex {
		return true
	}
	if c.Type.Type == CriterionXPath {
		return strings.Contains(c.Condition, "=")
	}
	// A state is a string: `== 'completed'`; `== true` checks a flag.
	return strings.Contains(c.Condition, "==") && strings.ContainsAny(c.Condition, `'"`)
}
