package inspect

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/duet-go/duet/aio"
)

// WritePS prints one line per task of every loop (Python 3.14:
// `python -m asyncio ps`): loop, id, name, state, what it waits on, the
// task it awaits, steps, and time on the loop when measured.
func (s Snapshot) WritePS(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "loop\ttask id\tname\tstate\twaiting on\tawaits\tsteps\ton loop")
	for _, l := range s.Loops {
		for _, t := range l.Tasks {
			awaits := ""
			if t.Awaits != 0 {
				awaits = fmt.Sprint(t.Awaits)
			}
			onLoop := ""
			if l.Timed {
				onLoop = t.OnLoop.Round(time.Microsecond).String()
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", l.ID, t.ID, t.Name, t.State, t.WaitingOn, awaits, t.Steps, onLoop)
		}
	}
	return tw.Flush()
}

// WriteTree prints each loop's tasks as a tree of who spawned whom, each
// with what it waits on (Python 3.14: `python -m asyncio pstree`, which
// draws who awaits whom: here the awaited task is named on its awaiter's
// line), then the threads and pools.
func (s Snapshot) WriteTree(w io.Writer) error {
	var b strings.Builder
	for _, l := range s.Loops {
		state := "not running"
		if l.Running {
			state = "running"
		}
		fmt.Fprintf(&b, "loop %d (%s, %d iterations, %d tasks, %d ready, %d I/O waits)\n", l.ID, state, l.Iterations, len(l.Tasks), l.Ready, l.IOWaits)
		for _, n := range Tree(l) {
			fmt.Fprintf(&b, "%s%s\n", n.Branch, taskLine(n.Task))
			if n.Task.Stack != "" {
				pad := strings.Repeat(" ", len([]rune(n.Branch))+4)
				for line := range strings.Lines(n.Task.Stack) {
					b.WriteString(pad + line)
				}
				b.WriteString("\n")
			}
		}
	}
	if len(s.Threads) > 0 {
		fmt.Fprintf(&b, "threads (%d)\n", len(s.Threads))
		for i, t := range s.Threads {
			branch := "├── "
			if i == len(s.Threads)-1 {
				branch = "└── "
			}
			fmt.Fprintf(&b, "%s%s (thread %d)\n", branch, t.Name, t.ID)
		}
	}
	for _, p := range s.Pools {
		fmt.Fprintf(&b, "pool %s: %d of %d workers live, %d idle, %d queued, %d submits waiting", p.Name, p.Live, p.Size, p.Idle, p.Queued, p.Waiting)
		if p.Timed {
			fmt.Fprintf(&b, ", %d tasks run, mean %v", p.Completed, p.MeanRun.Round(time.Microsecond))
		}
		b.WriteByte('\n')
	}
	for _, f := range s.Flags {
		fmt.Fprintf(&b, "advisor: %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func taskLine(t aio.TaskInfo) string {
	s := fmt.Sprintf("%s (task %d) %s", t.Name, t.ID, t.State)
	if t.WaitingOn != "" {
		s += ": " + t.WaitingOn
	}
	return s
}

// TreeNode is one task of Tree's walk.
type TreeNode struct {
	Task   aio.TaskInfo
	Depth  int    // 0 for a task with no unfinished parent
	Branch string // the tree drawn in front of it: "│   ├── "
}

// Tree walks a loop's tasks depth first along who spawned whom, each
// task's children in creation order; a task whose parent has finished is
// a root.
func Tree(l aio.LoopInfo) []TreeNode {
	children := map[uint64][]aio.TaskInfo{}
	ids := map[uint64]bool{}
	for _, t := range l.Tasks {
		ids[t.ID] = true
	}
	var roots []aio.TaskInfo
	for _, t := range l.Tasks {
		if t.Parent != 0 && ids[t.Parent] {
			children[t.Parent] = append(children[t.Parent], t)
		} else {
			roots = append(roots, t)
		}
	}
	out := make([]TreeNode, 0, len(l.Tasks))
	var walk func(t aio.TaskInfo, prefix string, depth int, last bool)
	walk = func(t aio.TaskInfo, prefix string, depth int, last bool) {
		branch, next := "├── ", "│   "
		if last {
			branch, next = "└── ", "    "
		}
		out = append(out, TreeNode{Task: t, Depth: depth, Branch: prefix + branch})
		kids := children[t.ID]
		for i, c := range kids {
			walk(c, prefix+next, depth+1, i == len(kids)-1)
		}
	}
	for i, r := range roots {
		walk(r, "", 0, i == len(roots)-1)
	}
	return out
}
