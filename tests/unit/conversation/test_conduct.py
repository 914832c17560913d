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


@pytest.mark.parametrize(
    "text",
    [
        "您爸妈的房子不会受影响",
        "您孩子学校的任何人都不会接到我们的电话",
        "我们没有联系您公司的财务",
        "找亲戚借钱还款不是必须的，您可以申请延期",
        "欠款逾期不构成诈骗罪，请您放心",
        "您说的逮捕令是假的，请不要相信",
        "您说有人去您单位闹，那不是我们公司的人，建议您报警",
        "您提到父母愿意帮忙，这是您家里的决定，我们不会去找他们",
        "不会因为一次逾期就坐牢，您别太担心",
        "用网贷还网贷只会越滚越大，我们不建议这样",
        "刷信用卡套现是违法的，您千万别这么做",
        "想跟您核对一下信用卡还款的安排，现在方便吗",
        "法院判决后，法院可以依法冻结被执行人的账户，这是法律程序",
        "我们不会上门，也不会贴大字报、拉横幅、发朋友圈",
        "去当铺典当首饰来还我们，这个我们不建议",
        "拆东墙补西墙只会越欠越多，您按能力来",
        "侬勿要为了还阿拉去借别额网贷，量力而行",
        "你说有人把你照片发到群里，那不是我们公司的人，你可以报警",
        "我给你留个备注，月底过后我再打给你",
        "你爸你妈、你兄弟姊妹，我们一个都不打",
        "自称我们公司的人让你转私人账户，那是骗子，你别转",
        "民事欠款不会影响孩子政审，这个您放心",
        "我们不会在任何群里发您的信息",
        "收到带链接的立案告知书短信是诈骗，别点",
        "别信外面说的啥“老赖”不“老赖”，失信名单只有法院能定",
        "逾期会按规定报送征信，以后再贷款可能会难一些",
        "公司规定不许给你家里人打电话，这事只跟你谈",
        "我们不催你去借钱来还，你有多少还多少",
    ],
)
def test_negation_debunking_reported_speech_and_warnings_are_compliant(text: str) -> None:
    assert check(text, semantic=False) == [], check(text, semantic=False)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("你哥那边我们已经通知了，让他督促你还钱", "third_party_contact"),
        ("我们会用短信轰炸你，一天几百条", "harassment_frequency"),
        ("你这双手是不是不想要了", "threat_violence"),
        ("我们准备在你老家村口拉一条横幅", "threat_exposure"),
        ("你爸妈的存款也会被冻结", "false_legal_consequence"),
        ("我们已经申请了逮捕证，很快批下来", "fake_legal_document"),
        ("先用这张卡套现，下个月再还那张", "borrow_to_repay"),
        ("我是你们辖区派出所的民警，来核实你的欠款", "impersonation"),
        ("你就是个寄生虫", "insult"),
        ("你们东北人就是爱赖账", "sexual_or_discriminatory"),
        ("账可以慢慢算，但你再躲着，哪天磕出个挂彩的样子可别说没提醒", "threat_violence"),
        ("今天不到账，你的头像和证件照就会挂在我们的曝光台上", "threat_exposure"),
        ("我们这边会跟你们厂里的主管沟通一下这件事", "third_party_contact"),
        ("我已经加进你们老乡群了，在群里打听打听你的下落", "third_party_contact"),
        ("我们已经对接好了，下月起从你工资卡里直接扣", "false_legal_consequence"),
        ("逾期九十天会被自动列入黑名单，坐不了飞机", "false_legal_consequence"),
        ("我把电子版传票发你手机上了，自己看", "fake_legal_document"),
        ("你把车拿去抵押一下，先把我们这笔结了", "borrow_to_repay"),
        ("从今天起每隔半小时一次，直到你接为止", "harassment_frequency"),
        ("你这个年纪了，谁知道哪天就没了，我们不给你分期", "sexual_or_discriminatory"),
        ("你手机里备注大舅的那个号码，我们下午打过去问问", "third_party_contact"),
        ("不好意思，我们可能会在您公司的工作群里发个通知", "third_party_contact"),
        ("您老伴挺明事理的，我这就打给他，让他替您把账还了", "third_party_contact"),
        ("下面我以中国人民银行征信中心工作人员的身份跟您核实", "impersonation"),
        ("您女儿要考公务员吧，这笔不清，政审肯定过不去", "false_legal_consequence"),
        ("刑事立案告知书已经发到您手机上了，点链接就能看", "fake_legal_document"),
        ("贷款不还的话，学校会扣下你的毕业证", "false_legal_consequence"),
        ("我这边是市交警支队的，你的车要协查", "impersonation"),
    ],
)
def test_the_rules_know_the_wider_vocabulary_of_each_kind(text: str, rule: str) -> None:
    assert rule in {v.rule for v in check(text, semantic=False)}, check(text, semantic=False)


def test_a_contrast_after_a_reassurance_is_a_signal_for_the_semantic_guard() -> None:
    from qingzhai.conversation.conduct import SIGNAL_NAMES, signals

    column = SIGNAL_NAMES.index("contrast_after_reassurance")
    assert signals("我们不会上门，但是您今晚的电话会一直响")[column] == 1.0
    assert signals("我们不会上门，您放心")[column] == 0.0
    assert signals("但是您得按时还款")[column] == 0.0
