"""Demo cases: a year of emergency-assistance history built from the demo's hardship events.

``populate_cases(session, *, today, seed)`` turns HardshipEvent rows (plus a few generated extras)
into cases from every channel and category in every state — small aid approved on time and late,
escalations (approved and rejected), aid-first with paperwork on time and overdue, referrals
accepted/rejected/done, admissions, follow-ups including a refused third, blacklist hits, hotline
orders waiting to be matched — plus past months' disclosures, spot checks and fund movements.
Everything goes through cases.services, so deadlines equal ``add_working_days`` of their dates.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session, select

from cases import services as svc
from cases.intake import review_blacklist
from cases.calendar import add_working_days
from cases.models import Case
from cases.rules import Blacklisted, DomainError, FollowUpLimitExceeded, ReferralScheme
from grid import audit
from grid.access import Actor, Role
from grid.models import CommunityGrid, HardshipEvent, Household

MAX_EVENT_CASES = 450
LEADER = Actor("镇街民政-周演示", Role.TOWNSHIP_LEADER, None)
COUNTY = Actor("县民政局-吴演示", Role.COUNTY_STAFF, None)
CHANNEL_WEIGHTS = [("grid_visit", 40), ("wechat", 14), ("hotline_12345", 14), ("hotline_110", 10),
                   ("hotline_12349", 10), ("window", 12)]
REFER_BY_CATEGORY = {
    "housing_loss": ReferralScheme.housing, "accidental_injury": ReferralScheme.charity,
    "illness_or_disaster": ReferralScheme.medical, "care_gap": ReferralScheme.tekun,
    "expenditure": ReferralScheme.dibao,
}


def demo_step(session: Session, *, today: date, seed: int) -> None:
    """Hook called by `jizhen demo` (jizhen.cli.demo_steps)."""
    populate_cases(session, today=today, seed=seed)


def _supervisors(session: Session) -> dict[str, Actor]:
    codes = session.exec(select(CommunityGrid.code)).all()
    return {c: Actor(f"网格长-{c}", Role.GRID_SUPERVISOR, frozenset({c})) for c in codes}


def _weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


class _Demo:
    def __init__(self, session: Session, today: date, seed: int):
        self.s = session
        self.today = today
        self.rng = random.Random(f"jizhen-cases-demo:{seed}")
        self.sups = _supervisors(session)
        self.counts: dict[str, int] = {}
        # Households a scenario has already used (their history is written) and households put on
        # the credit blacklist: later scenarios never pick them, so no story runs into a listing it
        # did not plan for (the cause of `jizhen demo --households 500 --seed 5` crashing).
        self.used: set[int] = set()
        self.blacklisted: set[int] = set()
        self.with_cases: set[int] = set()  # households that got a case from a hardship event
        self._stop_after: str | None = None
        self._stopped = False

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def sup(self, case: Case) -> Actor:
        return self.sups.get(case.grid_code or "", LEADER)

    def step(self, case: Case, name: str, actor: Actor, day: date, **kw) -> bool:
        """Take a transition if ``day`` is not in the future; False when the story stops here."""
        if day > self.today or self._stopped:
            return False
        svc.transition(session=self.s, actor=actor, case_id=case.id, name=name, on_day=day, **kw)
        if name == self._stop_after:
            self._stopped = True
        return True

    def wd(self, day: date, n: int) -> date:
        return add_working_days(day, n)

    # ------------------------------------------------------------------ one story per case
    def story(self, case: Case, plan: dict | None = None) -> None:
        """Walk one case along a random path (or the path ``plan`` fixes)."""
        self._stop_after, self._stopped = (plan or {}).get("stop_after"), False
        try:
            self._story(case, plan)
        finally:
            self._stop_after, self._stopped = None, False

    def _story(self, case: Case, plan: dict | None) -> None:
        rng, r = self.rng, case.received_on
        plan = plan or {}
        amount = case.amount_requested_fen / 100
        roll = rng.random()
        kind = plan.get("kind") or (
            "aid_first" if roll < 0.10 else "overdue_open" if roll < 0.13 else
            "rejected" if roll < 0.21 else "referral" if roll < 0.29 else
            "escalate" if amount > 500 else "town")
        # A backlog is weeks old, not months: older cases were dealt with, late or not.
        recent = (self.today - r).days <= 30
        if kind == "overdue_open" and (self.wd(r, 4) > self.today or not recent) and "kind" not in plan:
            kind = "escalate" if amount > 500 else "town"

        def flag(name: str, p: float) -> bool:
            return plan[name] if name in plan else rng.random() < p

        if kind == "aid_first":
            actor = COUNTY if amount > 500 else LEADER
            if not self.step(case, "pay_first", actor, r, reason="情况紧急，先行发放，后补手续"):
                return
            self.count("aid_first")
            if flag("open", 0.15 if (self.today - r).days <= 40 else 0.0):
                self.count("aid_first_open")
                return
            late = flag("late", 0.4)
            done = self.wd(r, rng.randint(16, 22) if late else rng.randint(3, 14))
            if self.step(case, "complete_files", self.sup(case), done):
                self.count("aid_first_late" if late else "aid_first_on_time")
                self.step(case, "close", LEADER, self.wd(done, rng.randint(1, 5)))
            else:
                self.count("aid_first_open")
            return
        accept_day = self.wd(r, rng.choice([0, 0, 1]))
        if kind == "overdue_open":
            self.count("overdue_open")
            if flag("accepted", 0.5):
                self.step(case, "accept", self.sup(case), accept_day)
            return
        if not self.step(case, "accept", self.sup(case), accept_day):
            return
        if kind == "rejected":
            if not self.step(case, "reject", LEADER, self.wd(r, rng.randint(1, 3)),
                             reason=rng.choice(["经核实家庭收入超过救助条件", "申请材料不全，经告知未补齐",
                                                "群众反映强烈，经入户核实不符合条件"])):
                return
            self.count("rejected")
            if flag("refer", 0.5):
                self.refer(case, self.wd(r, 4), plan)
            return
        if kind == "referral":
            self.refer(case, self.wd(accept_day, rng.randint(0, 2)), plan)
            return
        if kind == "escalate":
            if not self.step(case, "escalate", LEADER, self.wd(r, rng.randint(1, 2))):
                return
            self.count("escalated")
            dday = self.wd(r, rng.randint(3, 8))
            if flag("county_reject", 0.15):
                if self.step(case, "reject", COUNTY, dday,
                             reason="县级复核：已享受其他救助，不予重复救助"):
                    self.count("county_rejected")
                return
            if not self.step(case, "approve_county", COUNTY, dday,
                             review_opinion="经县民政局复核，情况属实"):
                return
            self.count("county_approved")
        else:
            late = flag("late", 0.2)
            dday = self.wd(r, rng.randint(4, 7) if late else rng.randint(1, 3))
            if not self.step(case, "approve_town", LEADER, dday,
                             review_opinion="经入户核实，情况属实，符合临时救助条件"):
                return
            self.count("town_late" if late else "town_on_time")
        pay = self.wd(dday, rng.randint(0, 2))
        if not self.step(case, "pay", LEADER, pay):
            return
        files = self.wd(pay, rng.randint(1, 6))
        if not self.step(case, "complete_files", self.sup(case), files):
            return
        if flag("refer_after", 0.12):
            self.refer(case, self.wd(files, 1), plan)
            return
        if flag("admit", 0.06) and self.admit(case, self.wd(files, 2)):
            return
        self.step(case, "close", LEADER, self.wd(files, rng.randint(1, 10)))

    def refer(self, case: Case, day: date, plan: dict | None = None) -> None:
        if day > self.today:
            return
        scheme = REFER_BY_CATEGORY[case.category]
        kw = {}
        if scheme == ReferralScheme.medical:
            cost = self.rng.randint(8, 80) * 1000
            kw = {"compliant_cost_yuan": cost, "insurance_paid_yuan": round(cost * 0.5)}
        ref = svc.refer(session=self.s, actor=LEADER, case_id=case.id, scheme=scheme.value,
                        on_day=day, reason="按致困原因转介", **kw)
        self.count("referred")
        answer = self.wd(day, self.rng.randint(2, 8))
        if answer > self.today:
            return
        reject = (plan or {}).get("referral_reject")
        if reject if reject is not None else self.rng.random() < 0.25:
            svc.update_referral(session=self.s, actor=LEADER, referral_id=ref.id, status="rejected",
                                on_day=answer, reason="经审核不符合该项救助条件，退回镇街")
            self.count("referral_rejected")
            return
        svc.update_referral(session=self.s, actor=LEADER, referral_id=ref.id, status="accepted",
                            on_day=answer)
        self.count("referral_accepted")
        done = self.wd(answer, self.rng.randint(5, 20))
        if done <= self.today:
            svc.update_referral(session=self.s, actor=LEADER, referral_id=ref.id, status="done",
                                on_day=done)

    def admit(self, case: Case, day: date) -> bool:
        if day > self.today:
            return False
        from cases import verification

        hh = self.s.get(Household, case.household_id) if case.household_id else None
        if hh is None or hh.income_per_capita_yuan is None or not hh.members:
            return False
        check_day = day - timedelta(days=1)
        for item in verification.load_items():  # 逢进必核: every department answered (demo receipts)
            if item.required:
                verification.record_result(session=self.s, actor=COUNTY, case_id=case.id,
                                           item_code=item.code, result="无异常",
                                           evidence=f"核对回执（演示）{item.code}", on_day=check_day)
        severe = bool(hh.severe_disability or hh.serious_illness)
        try:  # the officer enters the registered facts (the service takes none silently)
            svc.admit(session=self.s, actor=COUNTY, case_id=case.id, on_day=day,
                      family_income_yuan=round(hh.income_per_capita_yuan * hh.members, 2),
                      members=hh.members, dependent_severe_member=severe,
                      member_can_register_alone=False if severe else None,
                      no_labour_no_income_no_supporter=False)
        except DomainError:
            return False
        self.count("admitted")
        return True


def _amount(rng: random.Random, category: str) -> int:
    if rng.random() < 0.22:
        return rng.choice([800, 1000, 1500, 2000, 3000, 5000])
    return rng.choice([200, 300, 300, 400, 500, 500])


def populate_cases(session: Session, *, today: date, seed: int) -> dict:
    """Write a year of case history ending ``today``. Returns counts per scenario."""
    demo = _Demo(session, today, seed)
    rng = demo.rng
    start = today - timedelta(days=365)
    # funds for every year the history touches
    for year in range(start.year, today.year + 1):
        svc.allocate_year(session=session, actor=COUNTY, year=year, on_day=date(year, 1, 2))
        svc.record_donation(session=session, actor=LEADER, on_day=min(today, date(year, 3, 15)),
                            amount_yuan=rng.choice([20000, 50000, 80000]), note="爱心企业捐赠（演示）")

    events = session.exec(select(HardshipEvent).where(HardshipEvent.occurred_on >= start,
                                                      HardshipEvent.occurred_on <= today)
                          .order_by(HardshipEvent.occurred_on.desc(), HardshipEvent.id)).all()
    events = list(events[:MAX_EVENT_CASES])
    events.reverse()
    households = {h.id: h for h in session.exec(select(Household).where(
        Household.id.in_([e.household_id for e in events]))).all()} if events else {}
    for ev in events:
        hh = households.get(ev.household_id)
        if hh is None:
            continue
        received = min(today, ev.occurred_on + timedelta(days=rng.choice([0, 0, 1, 2, 3])))
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        actor = LEADER
        try:
            case = svc.intake(
                session=session, actor=actor, channel=channel, category=ev.category,
                received_on=received, amount_yuan=_amount(rng, ev.category), cause=ev.cause,
                household_id=hh.id, hardship_event_id=ev.id,
                work_order_no=f"{channel.split('_')[-1]}-{received:%Y%m%d}-{ev.id:05d}"
                if channel.startswith("hotline") else None,
            )
        except DomainError:
            continue
        demo.count(f"channel:{channel}")
        demo.with_cases.add(hh.id)
        demo.story(case)

    all_hh = session.exec(select(Household).order_by(Household.id)).all()
    if all_hh:
        _guaranteed(demo, all_hh)
        _follow_ups(demo, all_hh)
        _blacklist(demo, all_hh)
        _to_match(demo, all_hh)
        _extra_categories(demo, all_hh)
    _oversight(demo, start)
    return demo.counts


# (plan, category, amount, working days before today) — one of each path, whatever the events were
SCENARIOS = [
    ({"kind": "town", "late": False, "refer_after": False, "admit": False}, "housing_loss", 300, 30),
    ({"kind": "town", "late": True, "refer_after": False, "admit": False}, "accidental_injury", 450, 45),
    ({"kind": "town", "late": False, "refer_after": False, "admit": False}, "care_gap", 200, 2),
    ({"kind": "escalate", "county_reject": False, "refer_after": False, "admit": False},
     "illness_or_disaster", 2000, 60),
    ({"kind": "escalate", "county_reject": True}, "housing_loss", 1500, 80),
    ({"kind": "escalate", "county_reject": False}, "expenditure", 3000, 3),
    ({"kind": "aid_first", "open": False, "late": False}, "housing_loss", 500, 90),
    ({"kind": "aid_first", "open": False, "late": True}, "accidental_injury", 400, 120),
    ({"kind": "aid_first", "open": True}, "illness_or_disaster", 500, 20),
    ({"kind": "aid_first", "open": True}, "care_gap", 300, 6),
    ({"kind": "referral", "referral_reject": False}, "illness_or_disaster", 500, 50),
    ({"kind": "referral", "referral_reject": True}, "housing_loss", 300, 70),
    ({"kind": "rejected", "refer": True, "referral_reject": False}, "expenditure", 400, 100),
    ({"kind": "rejected", "refer": False}, "accidental_injury", 300, 40),
    ({"kind": "overdue_open", "accepted": True}, "care_gap", 300, 12),
    ({"kind": "overdue_open", "accepted": False}, "expenditure", 350, 9),
    ({"kind": "town", "late": False, "refer_after": False, "admit": True}, "illness_or_disaster", 400, 35),
    ({"kind": "town", "late": False, "stop_after": "approve_town"}, "care_gap", 250, 4),
    ({"kind": "escalate", "county_reject": False, "stop_after": "approve_county"}, "housing_loss", 900, 9),
    ({"kind": "escalate", "stop_after": "escalate"}, "accidental_injury", 1800, 3),
    ({"kind": "town", "late": False, "stop_after": "pay"}, "expenditure", 500, 10),
    ({"kind": "town", "late": False, "stop_after": "complete_files"}, "housing_loss", 350, 25),
]


def _guaranteed(demo: _Demo, households) -> None:
    used = demo.used
    chans = [c for c, _ in CHANNEL_WEIGHTS]
    std = svc.dibao_standard(demo.today)
    severe = [h for h in households if not (h.dibao or h.tekun) and (
        h.income_per_capita_yuan < std
        or ((h.severe_disability or h.serious_illness) and h.members > 1
            and h.income_per_capita_yuan <= 2 * std))]
    for i, (plan, category, amount, back) in enumerate(SCENARIOS):
        if plan.get("admit") and severe:
            hh = demo.rng.choice([h for h in severe if h.id not in used] or severe)
            used.add(hh.id)
        else:
            picked = _pick(demo, households, 1, used, avoid=demo.with_cases)
            if not picked:
                continue
            hh = picked[0]
        day = add_working_days(demo.today, -back)
        ch = chans[i % len(chans)]
        case = svc.intake(session=demo.s, actor=LEADER, channel=ch, category=category,
                          received_on=day, amount_yuan=amount, cause="演示场景：" + category,
                          household_id=hh.id,
                          work_order_no=f"demo-{i}-{day:%Y%m%d}" if ch.startswith("hotline") else None)
        demo.count(f"channel:{ch}")
        demo.story(case, plan)


def _pick(demo: _Demo, households, n: int, used: set[int] | None = None, *,
          avoid: set[int] | frozenset = frozenset()):
    """``n`` random households not used yet (``demo.used`` unless ``used`` is given), never a
    blacklisted one; households in ``avoid`` only when nothing else is left."""
    used = demo.used if used is None else used
    pool = [h for h in households if h.id not in used and h.id not in demo.blacklisted]
    fresh = [h for h in pool if h.id not in avoid]
    out = demo.rng.sample(fresh, min(n, len(fresh)))
    if len(out) < n:
        rest = [h for h in pool if h.id in avoid]
        out += demo.rng.sample(rest, min(n - len(out), len(rest)))
    used.update(h.id for h in out)
    return out


def _follow_ups(demo: _Demo, households) -> None:
    """Two follow-up aids within a year, then a refused third (dates shown)."""
    s, today = demo.s, demo.today
    for hh in _pick(demo, households, 3, avoid=demo.with_cases):
        for back in (300, 150):
            day = today - timedelta(days=back)
            case = svc.intake(session=s, actor=LEADER, channel="grid_visit", category="expenditure",
                              received_on=day, amount_yuan=400, cause="低保户大额医疗支出，补充临时救助",
                              household_id=hh.id, follow_up=True)
            demo.step(case, "accept", demo.sup(case), day)
            demo.step(case, "approve_town", LEADER, demo.wd(day, 2))
            demo.step(case, "pay", LEADER, demo.wd(day, 3))
            demo.step(case, "complete_files", demo.sup(case), demo.wd(day, 5))
            demo.step(case, "close", LEADER, demo.wd(day, 6))
            demo.count("follow_up")
        day = today - timedelta(days=20)
        try:
            svc.intake(session=s, actor=LEADER, channel="window", category="expenditure",
                       received_on=day, amount_yuan=400, cause="再次申请补充临时救助",
                       household_id=hh.id, follow_up=True)
        except FollowUpLimitExceeded as exc:
            # the refusal is kept on file: a case rejected at once, with the earlier dates
            case = svc.intake(session=s, actor=LEADER, channel="window", category="expenditure",
                              received_on=day, amount_yuan=400, cause="再次申请补充临时救助（复诊）",
                              household_id=hh.id)
            demo.step(case, "reject", LEADER, day, reason=exc.zh)
            demo.count("follow_up_refused")


def _blacklist(demo: _Demo, households) -> None:
    s, today = demo.s, demo.today
    # Listed 400 days ago: pick households without any case of their own in the demo year.
    listed = _pick(demo, households, 4, avoid=demo.with_cases)
    for hh in listed:
        demo.blacklisted.add(hh.id)
        entry = svc.add_to_blacklist(session=s, actor=COUNTY, person_id_number=hh.head_id_number,
                                     person_name=hh.head_name, listed_on=today - timedelta(days=400),
                                     reason="隐瞒家庭收入骗取临时救助",
                                     evidence="县民政局核对报告及追回救助金决定书（演示）")
        review_blacklist(session=s, actor=LEADER, entry_id=entry.id, approve=True,  # a second officer
                         note="复核同意", on_day=today - timedelta(days=399))
    for i, hh in enumerate(listed[:2]):
        day = today - timedelta(days=30 + 40 * i)
        try:
            svc.intake(session=s, actor=demo.sups.get("", LEADER), channel="wechat",
                       category="accidental_injury", received_on=day, amount_yuan=500,
                       cause="微信扫码求助", household_id=hh.id)
        except Blacklisted as exc:
            audit.record(s, actor=LEADER, action="case.intake_refused", entity="household",
                         entity_id=hh.id, reason=exc.zh)
            demo.count("blacklist_refused")
        if i == 0:
            case = svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss",
                              received_on=day, amount_yuan=300, cause="房屋失火，全家无处居住",
                              household_id=hh.id,
                              blacklist_override_reason="火灾致无家可归，属突发紧急情况，镇街领导批准受理")
            demo.step(case, "pay_first", LEADER, day, reason="火灾紧急安置")
            demo.count("blacklist_override")


def _to_match(demo: _Demo, households) -> None:
    """Hotline calls with only a name (or a shared name): they wait to be matched, never guessed."""
    s, today = demo.s, demo.today
    for i, hh in enumerate(_pick(demo, households, 4, set())):
        day = max(today - timedelta(days=i + 1), today - timedelta(days=10))
        svc.intake(session=s, actor=LEADER, channel=["hotline_110", "hotline_12345", "hotline_12349",
                                                     "hotline_12345"][i],
                   category=["accidental_injury", "care_gap", "care_gap", "illness_or_disaster"][i],
                   received_on=day, amount_yuan=0, cause="热线来电求助，仅留姓名",
                   person_name=hh.head_name[0] + "某", work_order_no=f"demo-to-match-{i}-{day:%Y%m%d}")
        demo.count("to_match")


def _extra_categories(demo: _Demo, households) -> None:
    """A few open cases dated in the last days so the board shows live countdowns."""
    s, today = demo.s, demo.today
    cats = ["housing_loss", "accidental_injury", "illness_or_disaster", "care_gap", "expenditure"]
    chans = [c for c, _ in CHANNEL_WEIGHTS]
    for i, hh in enumerate(_pick(demo, households, 10, avoid=demo.with_cases)):
        day = today - timedelta(days=i % 4)
        case = svc.intake(session=s, actor=LEADER, channel=chans[i % len(chans)],
                          category=cats[i % len(cats)], received_on=day,
                          amount_yuan=[300, 450, 1200, 200, 800][i % 5], cause="近期上报（演示）",
                          household_id=hh.id)
        if i % 2:
            demo.step(case, "accept", demo.sup(case), day)
        demo.count("recent_open")


def _oversight(demo: _Demo, start: date) -> None:
    """Past months: disclosure published, spot checks drawn and mostly checked; settle last year."""
    s, today, rng = demo.s, demo.today, demo.rng
    month = date(start.year, start.month, 1)
    last_full = date(today.year, today.month, 1) - timedelta(days=1)
    while month <= last_full:
        key = f"{month:%Y-%m}"
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        pub = add_working_days(nxt - timedelta(days=1), 5)
        if pub <= today:
            rows = svc.disclosure_rows(session=s, actor=COUNTY, month=key)
            if rows:
                svc.record_disclosure(session=s, actor=COUNTY, month=key, rows=rows, published_on=pub)
                draws = svc.draw_spot_checks(session=s, actor=COUNTY, month=key,
                                             seed=f"{key}-{rng.randint(1000, 9999)}", drawn_on=pub)
                for sc in draws:
                    checked = add_working_days(pub, rng.randint(3, 15))
                    if checked <= today and rng.random() < 0.9:
                        bad = rng.random() < 0.08
                        svc.record_spot_check(session=s, actor=COUNTY, spot_check_id=sc.id,
                                              result="problem" if bad else "ok",
                                              note="家庭收入与申报不符，已责令整改" if bad else "入户核实无误",
                                              checked_on=checked)
                demo.count("disclosure_months")
        month = nxt
    if start.year < today.year:
        svc.settle_year(session=s, actor=COUNTY, year=start.year, on_day=date(start.year, 12, 31))
