"""The mediation agreement (调解协议书) and the judicial-confirmation application (司法确认申请书),
in Chinese, as HTML (Jinja2) and PDF (fpdf2 with Noto Sans CJK shipped by a PyPI package).

Both documents are built from the agreement only: the agreed terms, the case facts and the
parties. No confidential position or bid is ever read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import DomainError, RuleViolation
from qingzhai.core.masking import mask_id_number, mask_phone
from qingzhai.fonts import cjk_font_path
from qingzhai.mediation import service
from qingzhai.mediation.models import Mediation
from qingzhai.mediation.rules import AGREED, MediationKind, MediationSettings, Status, rmb_upper
from qingzhai.registry import service as registry

KIND_ZH = {
    MediationKind.court.value: "法院委派调解（诉前调解）",
    MediationKind.institutional.value: "专业调解组织调解",
    MediationKind.community.value: "人民调解（社区／乡情调解）",
}


@dataclass
class Block:
    kind: str  # heading | paragraph | table | signatures
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Document:
    title: str
    number: str
    blocks: list[Block]

    def text(self) -> str:
        """All words of the document, for search and for tests."""
        parts = [self.title, self.number]
        for block in self.blocks:
            parts.append(block.text)
            parts.extend(block.header)
            parts.extend(cell for row in block.rows for cell in row)
        return "\n".join(parts)


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _load(session: Session, mediation: Mediation, actor: Actor, party_token: str | None) -> None:
    service.viewer_of(session, mediation, actor=actor, party_token=party_token)
    if Status(mediation.status) not in AGREED or not mediation.schedule or mediation.agreed_at is None:
        raise RuleViolation("there is no agreement yet", field="status")


def _parties(session: Session, mediation: Mediation) -> tuple[list[Block], object, object]:
    case = service.case_of(session, mediation)
    creditor = registry.get_creditor(session, case.creditor_id)
    debtor = registry.get_debtor(session, case.debtor_id)
    id_label = "统一社会信用代码" if debtor.kind == "enterprise" else "公民身份号码"
    rows = [
        ["债权人", creditor.name, "—", "—"],
        ["债务人", debtor.name, f"{id_label}：{mask_id_number(debtor.id_number)}", mask_phone(debtor.phone) or "—"],
    ]
    return [Block("table", header=["当事人", "名称／姓名", "身份信息（已脱敏）", "联系电话（已脱敏）"], rows=rows)], case, debtor


def agreement(session: Session, mediation: Mediation, *, actor: Actor, now: datetime, party_token: str | None = None,
              settings: MediationSettings | None = None) -> Document:
    s = settings or service.default_settings()
    _load(session, mediation, actor, party_token)
    party_blocks, case, _debtor = _parties(session, mediation)
    debts = registry.case_debts(session, case)  # type: ignore[arg-type]
    agreed_on = registry.local_today(mediation.agreed_at)  # type: ignore[arg-type]
    total = mediation.agreed_amount or Decimal("0.00")
    owed = sum((d.principal + d.interest + d.fees for d in debts), Decimal("0.00"))
    schedule = [(date.fromisoformat(d), Decimal(a)) for d, a in mediation.schedule or []]
    number = f"（{agreed_on.year}）沪调字第 QZ-{case.number}-{mediation.id[-6:]} 号"  # type: ignore[attr-defined]
    scope = ("作为本协议所涉债务的部分清偿，其余部分双方另行协商或依法解决" if mediation.partial
             else "债务人按期足额履行后，债权人放弃对本协议所涉债务其余部分的主张，双方就本纠纷再无其他争议")
    blocks: list[Block] = [
        Block("paragraph", f"调解机构：{mediation.institution}　　调解员：{mediation.mediator_id}"),
        Block("paragraph", f"调解类型：{KIND_ZH.get(mediation.kind, mediation.kind)}；调解方式：背靠背调解与共同调解相结合。"),
        Block("heading", "当事人"),
        *party_blocks,
        Block("heading", "一、纠纷事实"),
        Block("paragraph", f"债务人因借贷及相关费用对债权人负有债务，经双方确认，截至调解协议签订之日，"
                           f"所涉债务合计人民币{_yuan(owed)}元，已回收人民币{_yuan(case.recovered_amount)}元。"),  # type: ignore[attr-defined]
        Block("table", header=["债务编号", "本金（元）", "利息（元）", "费用（元）", "逾期日期"],
              rows=[[d.debt_ref, _yuan(d.principal), _yuan(d.interest), _yuan(d.fees), _zh_date(d.default_date)] for d in debts]),
        Block("heading", "二、协议内容"),
        Block("paragraph", f"1. 双方同意，债务人向债权人支付人民币{_yuan(total)}元（大写：人民币{rmb_upper(total)}），{scope}。"),
        Block("paragraph", "2. 付款安排如下："),
        Block("table", header=["期数", "到期日", "金额（元）"],
              rows=[[str(i), _zh_date(d), _yuan(a)] for i, (d, a) in enumerate(schedule, start=1)]),
        Block("paragraph", f"3. 违约责任：债务人任何一期款项逾期超过{s.default_grace_days}日未付的，剩余未付款项全部到期，"
                           "债权人有权一次性主张；经司法确认的，债权人可依法向人民法院申请强制执行。"),
        Block("paragraph", f"4. 双方同意自本协议生效之日起{s.confirmation_days}日内，共同向{mediation.court}申请司法确认。"),
        Block("paragraph", "5. 本协议自双方当事人签名（盖章）、调解员签名并加盖调解机构印章之日起生效，"
                           "一式三份，双方当事人及调解机构各执一份。"),
        Block("signatures", rows=[["债权人（盖章）：", "债务人（签名）："], ["调解员（签名）：", "调解机构（盖章）："],
                                  ["签订日期：" + _zh_date(agreed_on), ""]]),
    ]
    return Document("调解协议书", number, blocks)


def confirmation_application(session: Session, mediation: Mediation, *, actor: Actor, now: datetime,
                             party_token: str | None = None, settings: MediationSettings | None = None) -> Document:
    s = settings or service.default_settings()
    _load(session, mediation, actor, party_token)
    party_blocks, case, _debtor = _parties(session, mediation)
    agreed_on = registry.local_today(mediation.agreed_at)  # type: ignore[arg-type]
    due = mediation.confirmation_deadline
    total = mediation.agreed_amount or Decimal("0.00")
    blocks: list[Block] = [
        Block("heading", "申请人"),
        *party_blocks,
        Block("heading", "请求事项"),
        Block("paragraph", f"请求确认申请人于{_zh_date(agreed_on)}经{mediation.institution}主持调解达成的调解协议"
                           f"（案件编号 QZ-{case.number}）有效。"),  # type: ignore[attr-defined]
        Block("heading", "事实与理由"),
        Block("paragraph", f"申请人之间因债务纠纷，经{mediation.institution}调解员{mediation.mediator_id}主持调解，"
                           f"自愿达成调解协议：债务人向债权人支付人民币{_yuan(total)}元（大写：人民币{rmb_upper(total)}），"
                           f"共{len(mediation.schedule or [])}期履行。该协议系双方真实意思表示，"
                           "内容不违反法律、行政法规的强制性规定，不损害国家利益、社会公共利益和他人合法权益。依照《中华人民共和国人民调解法》第三十三条及"
                           "《中华人民共和国民事诉讼法》的有关规定，特共同申请司法确认。"),
        Block("heading", "申请期限"),
        Block("paragraph", f"本申请应于调解协议生效之日起{s.confirmation_days}日内，即{_zh_date(due)}前（含当日）共同提出。"
                           if due else "本申请应于调解协议生效之日起三十日内共同提出。"),
        Block("paragraph", f"此致\n{mediation.court}"),
        Block("heading", "附件"),
        Block("paragraph", "1. 调解协议书一份；2. 双方当事人身份证明；3. 债权凭证及相关证据材料；4. 调解组织主持调解的证明。"),
        Block("signatures", rows=[["申请人（债权人，盖章）：", "申请人（债务人，签名）："],
                                  ["申请日期：", ""]]),
    ]
    return Document("司法确认申请书", f"案件编号 QZ-{case.number}", blocks)  # type: ignore[attr-defined]


_env = Environment(loader=PackageLoader("qingzhai.mediation", "templates"), autoescape=select_autoescape(["html", "j2"]))


def to_html(document: Document) -> str:
    return _env.get_template("document.html.j2").render(doc=document)




def to_pdf(document: Document) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import WrapMode, XPos, YPos
    from fpdf.fonts import FontFace

    font = cjk_font_path()
    if font is None:
        raise DomainError("the PDF needs a CJK font: pip install cvttf-notosanscjk-regular", field="font")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, document.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, document.number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for block in document.blocks:
        if block.kind == "heading":
            pdf.ln(2)
            pdf.set_font("cjk", size=12)
            pdf.multi_cell(0, 8, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif block.kind == "paragraph":
            pdf.set_font("cjk", size=10.5)
            pdf.multi_cell(0, 6.5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)
        elif block.kind == "table":
            pdf.set_font("cjk", size=9)
            with pdf.table(text_align="CENTER", line_height=6,
                           headings_style=FontFace(emphasis="", fill_color=(235, 235, 235))) as table:
                table.row(block.header)
                for row in block.rows:
                    table.row(row)
            pdf.ln(2)
        elif block.kind == "signatures":
            pdf.ln(8)
            pdf.set_font("cjk", size=10.5)
            for left, right in block.rows:
                pdf.cell(95, 12, left)
                pdf.cell(0, 12, right, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
