"""The seed of the catalogue of required documents, from national practice.

Sources: the Community Corrections Law (《中华人民共和国社区矫正法》, 2019: Art. 20 delivery of the
legal documents, Art. 21 reporting for intake, Art. 24 the correction plan, Art. 25 the correction
team, Art. 27 leave, Art. 28 rewards and sanctions, Art. 29 electronic positioning, Art. 44 the
release certificate, Arts. 46-49 revocation and imprisonment), its implementing measures
(《社区矫正法实施办法》, 司发通〔2020〕59号: execution and working archives, intake, reports,
visits, education), and the archive rules the Ministry of Justice's standardization work follows
(DA/T 70-2018 for electronic records). The documents each stage lists and the deadlines below are
the common practice of those rules: they are a starting point that the bureau edits in the
admin or the API (``CatalogueItem``), not a statement of any one province's rule.

Deadlines count from the stage's anchor: the start of supervision (intake), the end of each
month (monthly items), the end of supervision (termination, negative is before it).
"""

from __future__ import annotations

from typing import Any

LAW = "《社区矫正法》"
MEASURES = "《社区矫正法实施办法》"

# (code, name, archive_kind, stage, recurrence, required, deadline_days, sentence_types, basis)
SEED: list[tuple[str, str, str, str, str, bool, int, list[str], str]] = [
    # -- Execution archive (执行档案, the county bureau): the legal documents and decisions --------
    ("judgment", "判决书、裁定书或决定书", "execution", "intake", "once", True, 10, [], f"{LAW}第二十条"),
    ("execution_notice", "执行通知书", "execution", "intake", "once", True, 10, [], f"{LAW}第二十条"),
    (
        "intake_registration",
        "社区矫正对象报到登记表",
        "execution",
        "intake",
        "once",
        True,
        10,
        [],
        f"{LAW}第二十一条",
    ),
    ("correction_plan", "矫正方案", "execution", "intake", "once", True, 30, [], f"{LAW}第二十四条"),
    (
        "positioning_order",
        "电子定位审批表",
        "execution",
        "supervision",
        "once",
        False,
        0,
        [],
        f"{LAW}第二十九条",
    ),
    ("sanction", "奖惩审批材料", "execution", "supervision", "once", False, 0, [], f"{LAW}第二十八条"),
    ("appraisal", "矫正期满鉴定表", "execution", "termination", "once", True, -30, [], f"{MEASURES}"),
    (
        "release_certificate",
        "解除社区矫正证明书",
        "execution",
        "termination",
        "once",
        True,
        0,
        [],
        f"{LAW}第四十四条",
    ),
    # -- Working archive (工作档案, the township office): the records of daily supervision -------
    ("guarantee_letter", "保证书", "work", "intake", "once", True, 10, [], MEASURES),
    ("intake_announcement", "入矫宣告记录", "work", "intake", "once", True, 10, [], MEASURES),
    ("correction_team", "矫正小组协议书", "work", "intake", "once", True, 10, [], f"{LAW}第二十五条"),
    ("monthly_report", "思想汇报", "work", "supervision", "monthly", True, 5, [], MEASURES),
    ("visit_record", "走访记录", "work", "supervision", "monthly", True, 5, [], f"{LAW}第二十六条"),
    ("education_record", "教育学习记录", "work", "supervision", "monthly", False, 5, [], f"{LAW}第三十六条"),
    ("leave_approval", "外出审批材料", "work", "supervision", "once", False, 0, [], f"{LAW}第二十七条"),
    ("alert_handling", "预警处置记录", "work", "supervision", "once", False, 0, [], f"{LAW}第二十六条"),
    ("screening_result", "风险评估结果", "work", "supervision", "once", False, 0, [], MEASURES),
    ("level_change", "分类管理调整记录", "work", "supervision", "once", False, 0, [], MEASURES),
    ("termination_announcement", "解矫宣告记录", "work", "termination", "once", True, 0, [], MEASURES),
    ("resettlement_handover", "安置帮教衔接材料", "work", "termination", "once", True, 5, [], MEASURES),
]


def seed_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name": name,
            "archive_kind": kind,
            "stage": stage,
            "recurrence": recurrence,
            "required": required,
            "deadline_days": days,
            "sentence_types": types,
            "legal_basis": basis,
            "order": order,
        }
        for order, (code, name, kind, stage, recurrence, required, days, types, basis) in enumerate(SEED)
    ]
