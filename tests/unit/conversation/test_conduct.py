from __future__ import annotations

import pytest

from qingzhai.conversation.conduct import check, is_compliant, rule_ids


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("你不还钱我们就联系你的家人", "third_party_contact"),
        ("再不还，我们就去你孩子的学校", "third_party_contact"),
        ("我们会打电话给你的领导", "third_party_contact"),
        ("我们知道你住哪里", "threat_exposure"),
        ("我们会把你的照片发到网上", "threat_exposure"),
        ("我们会找人教训你", "threat_violence"),
        ("你这个老赖", "insult"),
        ("我是法院的工作人员", "impersonation"),
        ("不还就让你坐牢", "false_legal_consequence"),
        ("你的父母要替你还这笔钱", "false_legal_consequence"),
        ("传票已经下来了", "fake_legal_document"),
        ("你可以去借呗借点钱先还上", "borrow_to_repay"),
        ("我们每天都打到你接为止", "harassment_frequency"),
        ("没钱就去陪睡", "sexual_or_discriminatory"),
    ],
)
def test_each_kind_of_prohibited_conduct_is_caught(text: str, rule: str) -> None:
    assert rule in {v.rule for v in check(text)}


@pytest.mark.parametrize(
    "text",
    [
        "我们不会联系您的家人",
        "您放心，我们不会上门，也不会告诉您的单位",
        "我们绝对不会让您坐牢，这是民事纠纷",
        "您的家人没有义务替您还款",
        "我们不建议您通过借新贷来还这笔钱",
        "请您放心，通讯录里的人我们一个都不会联系",
        "他妈妈说他出差了，我们晚点再联系",
        "您可以跟家人商量一下",
        "您好，我是浦江银行委托的催收专员，请问是张三先生本人吗",
    ],
)
def test_negation_and_reassurance_are_compliant(text: str) -> None:
    assert is_compliant(text), check(text)


def test_a_conditional_threat_is_not_saved_by_the_negation_of_paying() -> None:
    assert not is_compliant("你要是不还，我们就联系你的家人")
    assert is_compliant("你要是不方便，我们就改天再联系您")


def test_findings_carry_rule_span_and_severity() -> None:
    text = "你这个老赖，不还就让你坐牢"
    found = check(text)
    assert [v.rule for v in found] == ["insult", "false_legal_consequence"]
    for v in found:
        assert text[v.span[0] : v.span[1]] == v.matched
    assert found[1].severity.value == "high"
    assert set(v.rule for v in found) <= set(rule_ids())


def test_rules_alone_are_available_without_the_model() -> None:
    assert check("走路的时候多看看身后", semantic=False) == []
    assert [v.rule for v in check("你这个老赖", semantic=False)] == ["insult"]
