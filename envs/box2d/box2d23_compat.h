// Box2D 2.3 behaviour that Gymnasium's Box2D envs depend on, on Debian's Box2D 2.4.
//
// Gymnasium runs its Box2D envs on pybox2d, i.e. Box2D 2.3. Box2D 2.4 changed how a
// revolute joint holds its angle limits: 2.4 enforces an enabled limit speculatively (a
// joint moving toward a limit is stopped at it within the step), while 2.3 decides once,
// at the start of each step, whether the joint is at a limit (angle <= lower or >= upper)
// and enforces the limit only then, so a joint that reaches its limit during a step
// overshoots it for that step and is pushed back in the next. In BipedalWalker the knees
// swing into their -1.6 rad stop many times per episode; on 2.3 they overshoot by up to
// ~0.1 rad, on 2.4 they stop dead, and one step from the same state the leg velocities
// differ by up to 3 m/s (tests/python/test_box2d_fidelity.py measures it).
//
// Box2D23JointLimit reproduces 2.3's rule with 2.4's own solver: called before every
// b2World::Step, it enables a joint's limit exactly when 2.3 would hold it, at the
// current angle. 2.4 clears the limit impulses when the limit is switched, as 2.3 clears
// its limit impulse whenever the joint leaves the limit state. With it, one step of the
// walker from the same state agrees with Gymnasium's to float precision in most steps, and
// Gymnasium's walking heuristic falls as often as on Gymnasium (docs/RESULTS.md).
// What remains of 2.3 vs 2.4 in a revolute joint: a joint already past its limit is
// pushed back ~0.01 rad less within one step (probably because 2.4 counts a smaller
// angular error and so ends its position iterations earlier).
//
// LunarLander does not use it: its legs rest on their motors against the limits, and
// the 2.3 rule lengthened its heuristic episodes (269.6 -> 276.1 steps over seeds 0-999,
// Gymnasium 257.8) without changing returns or crash rates.
#pragma once

#include <box2d/box2d.h>

namespace fleet::envs {

// `limited`: the joint has limits at all (Gymnasium's enableLimit=True).
inline void Box2D23JointLimit(b2RevoluteJoint* joint, bool limited = true) {
  if (!limited) return;
  const float angle = joint->GetJointAngle();
  joint->EnableLimit(angle <= joint->GetLowerLimit() || angle >= joint->GetUpperLimit());
}

}  // namespace fleet::envs
