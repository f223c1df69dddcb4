package llb

import (
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

func lineRange(line int) []*pb.Range {
	return []*pb.Range{{Start: &pb.Position{Line: int32(line)}, End: &pb.Position{Line: int32(line)}}}
}

// files turns a stage's file actions into one FileOp on the tree.
func (c *compiler) files(pl *manifest.Pipeline, st *manifest.Stage, actions []stages.FileAction, tree bkllb.State) (bkllb.State, error) {
	var fa *bkllb.FileAction
	for _, a := range actions {
		switch {
		case a.Mkdir != nil:
			fa = fa.Mkdir(a.Mkdir.Path, a.Mkdir.Mode, bkllb.WithParents(a.Mkdir.Parents))
		case a.Mkfile != nil:
			fa = fa.Mkfile(a.Mkfile.Path, a.Mkfile.Mode, a.Mkfile.Data)
		case a.Symlink != nil:
			fa = fa.Symlink(a.Symlink.Target, a.Symlink.Path)
		case a.Rm != nil:
			fa = fa.Rm(a.Rm.Path, bkllb.WithAllowNotFound(a.Rm.AllowNotFound))
		case a.Copy != nil:
			src := tree
			if a.Copy.Input != "" {
				in, err := c.input(st, st.Input(a.Copy.Input))
				if err != nil {
					return tree, err
				}
				src = in
			}
			info := &bkllb.CopyInfo{
				CopyDirContentsOnly: a.Copy.ContentsOnly,
				CreateDestPath:      a.Copy.ContentsOnly,
				AllowEmptyWildcard:  true,
			}
			fa = fa.Copy(src, a.Copy.Src, a.Copy.Dest, info)
		default:
			return tree, fmt.Errorf("%s: empty file action", st.Path)
		}
	}
	return tree.File(fa, c.constraints(pl, st)...), nil
}
