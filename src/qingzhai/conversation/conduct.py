"""The conduct guard: prohibited collection conduct in a collector's (or the bot's) utterance.

Rules follow CN-07 and CN-08 (CBA 2026 collection guideline; 2019 SPC/SPP/MPS/MOJ opinion on soft
violence; Criminal Law art. 293-1) and the issue's list: threats, third-party contact or shaming,
insults and obscenity, impersonating officials, false legal consequences, fake legal documents,
pushing the debtor to borrow to repay, harassment by frequency, sexual or discriminatory remarks.

Each rule is a set of trigger patterns. A trigger is dropped when it sits inside the scope of a
negation or reassurance in the same clause ("我们不会联系您的家人", "您放心，不会上门"), but a
conditional threat keeps it ("你不还我们就去你单位": the negation governs 还, not the trigger).
A vulgarity list (glin-profanity, when installed) adds insults. Pure: no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class Severity(StrEnum):
    high = "high"  # stop the call / block the template; opens an incident for a human collector
    medium = "medium"  # block the template; a human collector's utterance opens an incident too


@dataclass(frozen=True)
class Violation:
    rule: str
    span: tuple[int, int]
    severity: Severity
    matched: str

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "span": list(self.span), "severity": self.severity.value, "matched": self.matched}


@dataclass(frozen=True)
class ConductRule:
    id: str
    severity: Severity
    description: str
    patterns: tuple[str, ...]


_FAMILY = (
    r"(?:家人|家里人|家属|父母|爸妈|你爸|你妈|老爸|老妈|你爸妈|老婆|老公|丈夫|妻子|爱人|配偶|媳妇|孩子|小孩|儿子|女儿|子女|亲戚|"
    r"闺女|老伴|儿媳|女婿|孙女|外孙|小舅子|大舅子|兄弟|姐妹|哥哥|姐姐|弟弟|妹妹|你哥|你姐|你弟|你妹|岳父|岳母|丈母娘|老丈人|公婆|公公|婆婆|爷爷|奶奶|外公|外婆|舅舅|叔叔|阿姨|"
    r"姑姑|表哥|表姐|大姨|小姨|姨妈|姑妈|舅妈|婶婶|嫂子|姐夫|妹夫|侄子|外甥|前妻|前夫|前男友|前女友|对象)"
)
_SOCIAL = (
    r"(?:单位|公司|领导|老板|上司|同事|人事|HR|财务|客户|合伙人|房东|租客|邻居|街坊|居委会|物业|朋友|好友|同学|战友|"
    r"通讯录|联系人|紧急联系人|微信好友|学校|幼儿园|老师|班主任|辅导员|校长|村里|村委会|村长|乡亲|小区|业主群|家长群|朋友圈|"
    r"经理|老总|主管|股东|社区|人事科|人事部|行政部|厂里)"
)
_CONTACT_VERB = (
    r"(?:联系了?|打电话给|打给|打到|通知|告诉|找|找到|去找|去|上|(?<![提收想说见遇感受得做办达])到|发给|群发|发到|发短信给|发信息给|短信|问问|曝光给|说给|告知|转告|知会|"
    r"拜访|上门找|登门)"
)
_ALL = r"(?:所有|全部|每一?个|那些|全)?"
# Filler inside one clause that carries no negation: "你哥那边我们已经通知了" but not "…我们不会通知".
_GAP = r"[^，,。.；;！!？?\n不没别未]"

RULES: tuple[ConductRule, ...] = (
    ConductRule(
        "threat_violence",
        Severity.high,
        "threats of violence or harm",
        (
            r"打断你的?腿",
            r"弄死你",
            r"搞死你",
            r"打死你",
            r"砍死你",
            r"废了你",
            r"让你(?:好看|吃不了兜着走|付出代价|知道厉害|后悔)",
            r"找人(?:收拾|教训|修理|弄|堵|搞|削|揍)你?",
            r"(?:小心|当心)(?:点|你的?|你家|你孩子|走夜路|出门)",
            r"走夜路",
            r"出了(?:什么)?事(?:别|不要)(?:来)?找我们",
            r"(?:出|发生)(?:点)?(?:什么)?意外",
            r"后果自负",
            r"(?:砸|烧|泼)(?:了)?你(?:家|的?门|车|油漆)",
            r"泼油漆",
            r"上门(?:去)?(?:砸|闹|堵)",
            r"堵你",
            r"(?:人身|生命)安全",
            r"有你(?:好|受)的",
            r"别怪我们不客气",
            r"不会放过你",
            r"出点什么事",
            r"下不了床|皮肉之苦|断手断脚|缺胳膊少腿|打残你|卸你",
            r"(?:钱|还钱)重要还是命重要|要钱还是要命",
            r"(?:手|腿|胳膊|命)(?:是不是)?(?:就)?(?:不想要了|别想要了)",
            r"等着(?:进医院|挨打|收尸|瞧)",
            r"(?:兄弟们?|我们的人|几个人|几个兄弟)" + _GAP + r"{0,6}(?:上门|去你|到你|找你|等你|堵你|转转|坐坐)",
            r"(?:想想|考虑)(?:你)?(?:家里人|家人|孩子|老婆|老公)的安全",
            r"(?:留神|当心|注意)(?:你的?)?(?:轮胎|玻璃|楼道|身后|背后)",
            r"跟你(?:算账|没完)",
            r"(?:不敢|没法|不好|不能|无法)(?:保证|担保)" + _GAP + r"{0,10}安全|保证不了" + _GAP + r"{0,8}安全",
            r"磕着碰着|磕磕碰碰|吃生活",
            r"(?:店|铺子|摊子|门面|车|家)(?:给)?(?:砸|烧|拆)(?:了|掉)",
            r"(?:你就|让你|你得|叫你)(?:在|进)医院(?:里)?躺",
            r"(?:削|揍|扁)你",
            r"哪天" + _GAP + r"{0,6}(?:着个?火|失火|起火|出事)",
            r"手痒",
            r"一个人住(?:吧|吗|啊)",
            r"挂(?:了)?彩|见(?:了)?血|破(?:了)?相",
            r"不(?:只|光|仅)?是动(?:动)?嘴(?:皮子)?(?:的事|那么简单)",
        ),
    ),
    ConductRule(
        "threat_exposure",
        Severity.high,
        "threats to expose or shame the debtor, or to show where they live",
        (
            r"曝光",
            r"(?:发|挂|贴)(?:到|在)?(?:网上|朋友圈|微博|抖音|群里)",
            r"大字报",
            r"(?:贴|挂)(?:横幅|海报|告示|照片)",
            r"让(?:所有人|大家|全村|全小区|你身边的人|你朋友都)(?:都)?知道",
            r"(?:知道|清楚)你(?:住|家)(?:在)?(?:哪|哪里|哪儿|什么地方)",
            r"你(?:家)?住在(?:哪|哪里)我们(?:都)?(?:知道|清楚)",
            r"我们知道你(?:孩子|女儿|儿子)在哪",
            r"花圈",
            r"哀乐",
            r"(?:公开|公布)你的",
            r"寻人启事|传单|海报|张贴|催收公告",
            r"(?:社区|小区|村里|单位|户籍地)(?:所在地)?(?:公示|公告)",
            r"拉(?:一)?(?:条)?横幅",
            r"(?:放|传|挂|发)(?:到|在)网上",
            r"在(?:抖音|快手|短视频平台?|微博|小红书|视频号)上?" + _GAP + r"{0,4}(?:发|曝光|挂)",
            r"(?:全村|全小区|全单位|所有认识你的|你身边的|你周围的)(?:人)?" + _GAP + r"{0,4}(?:都会|都要|都得|都将)知道",
            r"(?:哪条路|几楼几号|几层几号|出租屋|每天几点)" + _GAP + r"{0,8}(?:清楚|知道|摸清|找到|查到|掌握)",
            r"(?:知道|清楚|摸清|查到)(?:了)?你(?:现在)?(?:在)?(?:哪家|哪个|哪条)",
            r"人肉",
            r"丢人现眼",
            r"(?:发|挂|贴|转)(?:到|在)?(?:你们?的?)?\w{0,4}(?:群|朋友圈|网上|论坛)",
            r"(?:欠款|欠钱|个人|身份)信息(?:都)?(?:公开|公布|曝光|发出去)",
            r"(?:地址|门牌号|住址|单位地址)(?:我们)?(?:都)?(?:查到|知道|掌握)",
            r"(?:上|登上|冲上)热搜|热搜上" + _GAP + r"{0,6}(?:看到|出现)(?:你|自己)",
            r"(?:每天|天天)" + _GAP + r"{0,12}(?:出门|出来|下班|放学|回家|坐几路)[^。！？?!]{0,16}"
            r"(?:清楚|一清二楚|知道|有数|有本账|摸清|摸透)",
            r"(?:住哪|哪个小区|开什么车|常去)[^。！？?!]{0,20}(?:清楚|知道|有本账|有数|摸清)",
            r"(?:栋|单元|号楼)[^。！？?!]{0,12}(?:路过|去过|看过|蹲)",
            r"贴条子|贴字条",
            r"公示墙|曝光墙|曝光台|老赖榜|黑榜|公示栏",
            r"(?:证件照|身份证照片?|照片|相片|头像|欠款资料|欠款信息)"
            + _GAP
            + r"{0,8}(?:出现在|挂在|贴在|发到|公示|登上|印|贴|发晒|上网)",
            r"让(?:你|您)(?:出名|出出名|火一把|红一把)",
            r"(?:整个|全)(?:镇|村|乡|县|小区|单位|公司|厂)(?:上|里)?的人(?:都)?(?:会)?(?:晓得|知道)",
        ),
    ),
    ConductRule(
        "third_party_contact",
        Severity.high,
        "contacting or shaming third parties about the debt (family, employer, school, contacts)",
        (
            _CONTACT_VERB + r"(?:一下)?(?:你|您)?(?:的)?" + _ALL + _FAMILY,
            _CONTACT_VERB + r"(?:一下)?(?:你|您)?(?:的|们)?" + _ALL + r"(?:孩子的?)?" + _SOCIAL,
            r"给(?:你|您)的?" + _ALL + r"(?:" + _FAMILY[3:-1] + "|" + _SOCIAL[3:-1] + r")(?:每人|挨个|一个个|都)?(?:打|发|寄)",
            r"通讯录.{0,8}(?:打|发|联系|通知|群发)",
            r"(?:孩子|小孩|儿子|女儿)的?(?:学校|老师|班主任|幼儿园)",
            _FAMILY + r"(?:的)?(?:单位|公司|学校)",
            r"(?:爆|打爆|轰炸)(?:你的?)?通讯录",
            r"通讯录(?:里的?)?(?:人|所有人|每个人|朋友)",
            r"让(?:你的?)?" + _FAMILY + r"(?:知道|来还|出面)",
            r"让(?:你的?|你们)?" + _SOCIAL + r"(?:知道|来处理|出面|督促|配合)",
            r"(?:你|您)(?:的|们)?" + "(?:" + _FAMILY[3:-1] + "|" + _SOCIAL[3:-1] + "|哥|姐|弟|妹|爸|妈)" + _GAP + r"{0,8}"
            r"(?:通知了|联系上了|联系过了|已经联系|打过电话|打过了|打过去|打一遍|问过了|说了|告诉了|发过|都会通知|会一个一个)",
            r"我们?" + _GAP + r"{0,6}(?:跟|和|给|向)(?:你|您)(?:们)?的?" + "(?:" + _FAMILY[3:-1] + "|" + _SOCIAL[3:-1] + ")"
            r"(?:打|通|说|聊|发|讲)",
            r"(?:挨个|一个一个|一个个|逐个)(?:打|联系|通知|发)",
            _FAMILY + r"出面",
            r"(?:家属|亲友|家人|亲属|亲戚朋友)(?:协助|帮忙催|督促|催促)",
            r"(?:孩子|小孩|儿子|女儿)[^。！？?!]{0,12}(?:学校|小学|中学|幼儿园|校门|班|放学)[^。！？?!不没]{0,16}"
            r"(?:清楚|知道|打听|摸清|查到|掌握)",
            r"(?:督促|催|劝|提醒|转告)(?:一下)?(?:他|她)(?:尽快|赶紧|早点)?(?:还|把钱)",
            r"(?:他|她)(?:在我们这(?:儿|里|边)?)?的?(?:借款|欠款|贷款)(?:已经)?逾期",
            r"(?:给|跟|向)(?:你|您)(?:们)?的?"
            + "(?:"
            + _FAMILY[3:-1]
            + "|"
            + _SOCIAL[3:-1]
            + ")"
            + _GAP
            + r"{0,5}(?:打|发|寄)(?:个|一个|一封|封)?(?:电话|短信|邮件|函|信)",
            _SOCIAL + _GAP + r"{0,4}留(?:了)?(?:言|话)",
            r"备注[^，,。！？?!]{0,8}的[^。！？?!]{0,14}(?:打过去|打给|联系|问问|打电话)",  # the contact saved as 二姨
            r"(?:去|找|联系|通知)(?:他|她)(?:们)?的?" + _SOCIAL,
            "(?:" + _FAMILY[3:-1] + "|" + _SOCIAL[3:-1] + r")的?(?:邮箱|电话|号码|手机号|微信)(?:我们)?(?:都)?(?:有|查到|拿到)",
            r"我们?(?:会|要|将|就|得|准备|打算|已经|马上|这边|先)*(?:去|来)?(?:跟|和|向|找)(?:你|您)?(?:们|的)?(?:孩子的?)?"
            + "(?:(?:" + _FAMILY[3:-1] + "|" + _SOCIAL[3:-1] + r")(?:的|里的)?){1,2}"
            + r"(?:沟通|反映|说明|打(?:个)?招呼|说一声|聊聊|谈谈|提一下|了解一下)",
            r"(?:进|加)(?:了|入|到)?(?:你们?的?)?\w{0,4}(?:业主群|家长群|工作群|村群|同学群|老乡群)",
            r"在(?:群里|业主群|家长群|工作群)" + _GAP + r"{0,6}(?:问问|问一下|打听|发|说|喊|找)",
            r"在(?:你|您)的?\w{0,6}群里?" + _GAP + r"{0,4}(?:发|说|提醒|通知|问|喊|@|曝)",
            r"让(?:他|她)(?:们)?(?:替|帮|代)(?:你|您)(?:把)?(?:这笔|这)?(?:钱|账)?(?:给)?还",
        ),
    ),
    ConductRule(
        "insult",
        Severity.medium,
        "insults and obscenity",
        (
            r"(?<![“\"「啥])老赖",  # not a word quoted or dismissed ("啥“老赖”不“老赖”的")
            r"(?<!那是)(?<!那就是)(?<!他们是)(?<!对方是)(?<!肯定是)(?<!都是)(?<!全是)骗子",  # not the impostor the debtor met
            r"废物",
            r"不要脸",
            r"没脸没皮",
            r"人渣",
            r"垃圾(?:人|东西)?",
            r"畜生",
            r"混蛋",
            r"王八蛋",
            r"(?<![利打翻越])滚(?:蛋|开|犊子)?(?![动越])",
            r"傻[逼Bb比]",
            r"(?<!他)(?<!她)(?<!爸)妈的",
            r"(?<!你爸)(?<!爸、)(?<!爸和)你妈(?!妈)",  # not 你爸你妈 listing the family
            r"蠢(?:货|猪)",
            r"白痴",
            r"脑残",
            r"狗东西",
            r"无赖",
            r"臭不要脸",
            r"死皮赖脸",
            r"下三滥",
            r"贱(?:人|货)?",
            r"穷鬼",
            r"要饭的",
            r"败类",
            r"没出息|寄生虫|没良心|赖皮|烂人|烂货|德行|孬种|窝囊|智障|弱智|低能|不是人(?![工员])|缺德",
            r"算(?:哪门子|什么东西|老几)",
            r"活该(?:你)?(?:穷|一辈子)",
            r"(?:聋了|傻了|瞎了)(?:吗|吧|还是)",
            r"(?:猪|狗)都比你",
            r"还有脸",
            r"脑子(?:有病|有问题|进水|坏了|不好使)",
            r"廉耻|羞耻心|那点(?:出息|本事)|赤佬|册那|真是个人才|货色|扶不起|这么个东西|贱骨头|窝囊废|眼瞎",
            r"(?<![A-Za-z])(?:sb|SB)(?![A-Za-z])",
        ),
    ),
    ConductRule(
        "impersonation",
        Severity.high,
        "posing as police, courts, prosecutors or other officials",
        (
            r"(?:我|我们)(?:是|这里是|这边是)(?:公安|警察|派出所|法院|法官|检察院|检察官|经侦|刑警|纪委|司法局|政府|银保监|金融监管局)",
            r"(?:这里是|这边是)(?:\w{0,6})?(?:派出所|法院|检察院|公安局|经侦)",
            r"(?:法院|公安|派出所|检察院)(?:的)?(?:工作人员|同志|警官)",
            r"(?:我|我们)代表(?:法院|公安|政府|检察院)",
            r"警官",
            r"执法人员",
            r"(?:我|我们)(?:是|这里是|这边是)[^，,。.；;！!？?不]{0,8}(?:民警|网警|片警|法官|检察官|书记员|警察|派出所|法院|检察院|公安|经侦|最高法|中院|市监局|反诈中心|"
            r"司法所|仲裁委|金融监督管理|监管总局|侦查中心|犯罪侦查|政府部门)",
            r"(?:这里是|这边是)(?:网警|民警|反诈中心)",
            r"(?:这里是|这边是)\w{0,4}(?:交警|刑警|特警|巡警|派出所)",
            r"(?:这里是|这边是)\w{0,6}(?:侦查中心|犯罪侦查|司法所|仲裁委)",
            r"以" + _GAP + r"{0,8}(?:仲裁委|法院|公安|检察院|司法所|政府|人民银行|央行|征信中心|金融监管|银保监|网信办|税务)"
            + _GAP + r"{0,8}身份",
            r"(?:我|我们)(?:是|这里是|这边是)" + _GAP + r"{0,6}(?:人民银行|央行|征信中心|网信办|金融监管局)",
            r"(?:跟|和)(?:法院|公安|政府)是一(?:体|家)|当成(?:法院|公安|政府)的人|属于政府部门",
            r"办案民警",
        ),
    ),
    ConductRule(
        "false_legal_consequence",
        Severity.high,
        "false legal consequences (jail for a civil debt, family members liable, children barred)",
        (
            r"坐牢",
            r"判(?:你)?刑",
            r"(?:抓|拘|逮捕|拘留)(?:你|起来|了你)",
            r"(?:被|要被)(?:抓|拘留|逮捕)",
            r"(?:刑事|诈骗罪|拘役|蹲监狱|进监狱|吃牢饭|进去)",
            r"(?:通缉|上门抓人|警察(?:会)?上门)",
            _FAMILY + r"(?:要|得|必须|都要|也要|就得|会被)(?:替你|帮你|代你|一起)?(?:还|承担|负责|连带|赔)",
            r"(?:父债子还|株连|连坐)",
            r"(?:孩子|子女|儿子|女儿).{0,4}(?:不能|没法|上不了|考不了|过不了|进不了)(?:考|上|进)?(?:学|公|公务员|兵|军|大学|好学校|政审|编制|体制内)",
            r"(?:影响|毁了)(?:你)?(?:孩子|子女)(?:的)?(?:前途|政审|上学|考公)",
            r"(?:冻结|查封)(?:你)?(?:家人|父母|全家)",
            _FAMILY + r"的?(?:工资|存款|房子|退休金|养老金|财产|银行卡|账户)" + _GAP + r"{0,4}(?:扣|冻结|查封|拍卖|收走)",
            _FAMILY + _GAP + r"{0,6}(?:连带|黑名单)",
            r"(?:全家|家人|家里人)" + _GAP + r"{0,4}(?:坐不了|上黑名单|进黑名单|失信名单)",
            r"判(?:你)?(?:[一二三四五六七八九十几两\d]+|三年以上)年",
            r"(?:孩子|子女|儿子|女儿)" + _GAP + r"{0,8}(?:劝退|开除|取消学籍|退学|当不了|考不上)",
            r"警察" + _GAP + r"{0,4}(?:上门|去你家|来你家|找你|抓你|抓走)",
            r"(?:留|有)案底|劳改",
            r"出不了国",
            r"追究刑事责任|负刑事责任|涉嫌(?:犯罪|诈骗|信用卡诈骗)|移交公安|限制人身自由",
            r"(?:直系亲属|亲属|家属)" + r"[^。！？?!不没别未]{0,6}(?:也要|都要|必须|得)(?:对这笔(?:钱|账|债))?(?:负责|承担|还)",
            r"(?:档案|政审)" + _GAP + r"{0,6}(?:记上|记一笔|留下|写上)",
            r"政审" + _GAP + r"{0,6}(?:过不去|通不过|过不了|不通过|没戏)",
            r"(?:扣|扣押|扣下|不发|取消)(?:你|您)?的?(?:毕业证|学位证?|学籍)|学位" + _GAP + r"{0,4}被取消",
            r"(?:社保|医保|低保)" + _GAP + r"{0,6}(?:停掉|停了|取消|注销|冻结)",
            r"手机号" + _GAP + r"{0,6}(?:注销|停机|封掉)",
            r"派人(?:去)?收(?:房|走|了)?",
            r"坐班房|蹲班房|关进去",
            r"从(?:你|您)的?工资(?:卡)?(?:里|中)?(?:直接)?(?:扣|划)",
            r"公安(?:系统)?(?:的)?黑名单|自动" + _GAP + r"{0,6}列入" + _GAP + r"{0,6}黑名单",
            r"(?:我们|已经|马上|明天)(?:已经)?(?:申请)?(?:去)?冻结(?:了)?(?:你|您)的?(?:银行卡|微信|支付宝|账户|工资卡|卡)",
        ),
    ),
    ConductRule(
        "fake_legal_document",
        Severity.high,
        "fake or misrepresented legal documents",
        (
            r"(?:传票|逮捕令|拘捕令|通缉令|拘留证|立案通知书?|判决书|执行令)(?:已经)?(?:下来|发|寄|送|出来|给你|到了|马上)",
            r"(?:已经|马上|正在)?(?:给你)?(?:发|寄|送)(?:了)?(?:法院)?(?:传票|逮捕令|拘捕令|通缉令|拘留证|立案通知)",
            r"(?:法院|公安)(?:的)?(?:传票|逮捕令|立案通知)",
            r"(?:逮捕令|拘捕令|通缉令|拘留证)",
            r"逮捕证|拘留通知|协查(?:通报|名单|函)|冻结令|刑事立案决定书|通缉文件",
            r"(?:法院|公安)"
            + _GAP
            + r"{0,6}(?:裁定书?|执行裁定|判决书|起诉书)"
            + _GAP
            + r"{0,6}(?:出来|出了|下来|拍给你|寄|盖章|盖了章)",
            r"以法院(?:的)?名义",
            r"拘传票|传唤通知|限高令|查封通知",
            r"电子传票",
            r"(?:裁定书|判决书|决定书)" + _GAP + r"{0,4}(?:发你|发给你)",
            r"(?:我们|律所)" + _GAP + r"{0,4}(?:出具|开具|发出)(?:了)?的?" + _GAP + r"{0,8}(?:通知书|决定书|告知函|预告函)",
            r"(?:查封|冻结|拘留|出境|限高|被执行人)" + _GAP + r"{0,2}(?:预告函|告知函|决定书|通知函)",
            r"电子版?的?(?:立案通知|传票|判决书|裁定书|律师函|起诉书)",
            r"(?:刑事)?立案告知书|(?:传票|告知书|通知书|判决书)[^，,。.；;！!？?\n不没别未袂毋勿]{0,10}链接",
            r"(?:看到|盖(?:了|有)?|带(?:有|着)?)(?:法院|公安|政府|检察院)的?(?:盖章|公章|红章|印章|章)",
        ),
    ),
    ConductRule(
        "borrow_to_repay",
        Severity.medium,
        "pushing the debtor to borrow to repay (以贷养贷)",
        (
            r"(?:去|找人|找朋友|找亲戚|找家里|网上|从别的平台)(?:借|贷|套现|撸)",
            r"再(?:借|贷|套现|撸)(?!款?[^，,。！？?!]{0,4}(?:难|受影响|批不|不好批))",  # not "以后再贷款就难了"
            r"(?:借呗|花呗|网贷|信用卡|高利贷|小贷|口子)(?:套|借|撸|周转)",
            r"(?:用|刷|拿|找)(?:借呗|花呗|网贷|信用卡|高利贷|小贷|口子)(?:来|先)?还",
            r"(?:抵押|贷款|借钱|借点|借一笔|信用卡)[^。！？?!]{0,24}把?(?:我们|这笔)(?:这笔)?(?:钱|账|款|欠款)?(?:先)?(?:清|还|结)",
            r"(?:借|贷|套现|刷信用卡)(?:点|一笔|些)?(?:钱)?(?:来|也要|先)?还(?:我们|这笔|上)",
            r"以贷养贷",
            r"拆东墙补西墙",
            r"撸口子",
            r"卖(?:肾|血|房子?|车)(?:子)?(?:也要|都要|也得|都得|去)?还",
            r"(?:小贷|网贷|贷款)公司(?:借|贷)",
            r"借(?:一笔|点|些)(?:钱)?(?:周转|应急|先还)",
            r"(?:借|贷|套|刷)出来" + _GAP + r"{0,3}还",
            r"套现",
            r"(?:下款|放款)(?:快|很快)",
            r"(?:推荐|介绍)(?:几个|个|一个)?" + _GAP + r"{0,8}(?:平台|口子|放贷)",
            r"(?:网贷|借贷|分期)平台" + _GAP + r"{0,4}(?:倒|借|周转|试试)",
            r"(?:轮着|倒着)刷",
            r"(?:借|凑)一圈",
            r"(?:押|抵押)(?:了|出去)" + _GAP + r"{0,6}(?:还|有钱)",
            r"(?:让|叫)(?:他们|你爸妈|你父母|家里)" + _GAP + r"{0,3}(?:垫|借|凑)",
            r"(?:问|跟|向)(?:你)?(?:的)?(?:同事|朋友|亲戚|父母|爸妈|家里)(?:开口)?借",
            r"(?:微粒贷|借呗|白条|月付|花呗|金条|分期乐)[^。！？?!]{0,12}(?:还有额度|有额度吧|借出来|试试|先还|结了)",
            r"当天放款|当天下款|秒批|秒到账|开口借|每人借|总有一个能借",
            r"(?:商户|POS机?|pos机?)" + _GAP + r"{0,2}刷",
            r"典当|当铺|(?:首饰|金子|手表)(?:给)?当了",
            r"贷(?:点|个)(?:款)?(?:先)?还|去(?:信用社|银行|小贷|典当行)" + _GAP + r"{0,2}贷",
        ),
    ),
    ConductRule(
        "harassment_frequency",
        Severity.medium,
        "harassment by frequency",
        (
            r"(?:每天|天天|一直|不停|反复|轮番|24小时|二十四小时|日夜|半夜)(?:都|给你)?(?:打|call|轰炸|骚扰)",
            r"打到你(?:接|还|服|崩溃|受不了)(?:为止)?",
            r"打爆你(?:的)?电话",
            r"电话轰炸",
            r"(?:每隔|每)\s*\w{1,3}(?:分钟|小时)(?:打|一个电话)",
            r"让你(?:晚上|每天|天天)?(?:睡不着|不得安宁|没法上班)",
            r"一天(?:打|给你打|call)(?:你)?\w{0,5}(?:次|遍|个电话)",
            r"(?:打|轰炸)(?:你)?(?:几十|上百|二十|三十|五十)(?:次|遍|个)",
            r"(?:短信|信息|电话)轰炸|轰炸你",
            r"(?:轮流|轮着|不停地?|接着|换号)(?:给你)?(?:打|呼|发)",
            r"自动拨号",
            r"每(?:隔)?(?:半|一|两|几)?(?:个)?(?:小时|分钟)(?:就)?(?:给你)?(?:打|呼|发|响|来电)",
            r"早中晚",
            r"(?:响个不停|一天到晚响)",
            r"(?:休想|别想)" + _GAP + r"{0,4}(?:清净|安静|安宁)",
            r"(?:半夜|凌晨|深夜)" + _GAP + r"{0,6}(?:打|电话)",
            r"(?:晚上|夜里)(?:十一|十二|11|12)点" + _GAP + r"{0,6}(?:打|电话)",
            r"(?:几百|几十|上百|[一二三四五六七八九十\d]{2,})条(?:短信|信息)",
            r"全天候|每隔一会儿|一天都不(?:会)?停|(?:轮流|轮番)来",
            r"专(?:门)?挑(?:你)?" + _GAP + r"{0,8}(?:睡觉|休息|上班|开会|吃饭)",
            r"照打不误|(?:过年|大年三十|除夕|春节|中秋|国庆|节假日)" + _GAP + r"{0,6}(?:照打|也打|照样打)",
            r"每(?:隔)?(?:半|一|两|几|\d+)?(?:个)?(?:半)?(?:小时|分钟)(?:就)?(?:一次|一回|一通|一个)",
            r"(?:半夜|凌晨|深夜)" + _GAP + r"{0,6}响",
        ),
    ),
    ConductRule(
        "sexual_or_discriminatory",
        Severity.high,
        "sexual or discriminatory remarks",
        (
            r"卖身",
            r"陪睡",
            r"肉偿",
            r"去卖(?![房车])",
            r"卖淫",
            r"(?:外地|乡下|农村)(?:人|佬)(?:就是|都)",
            r"(?:女人|女的|娘们)(?:就是|都|懂什么)",
            r"残废",
            r"瘸子",
            r"聋子",
            r"瞎子",
            r"(?:老|黑)?(?:鬼|猪)一样",
            r"身材(?:不错|挺好)",
            r"长得(?:挺|这么)漂亮",
            r"(?:东北|河南|外地|乡下|农村|山东|四川|广西|新疆|少数民族|安徽|湖南|江西|贵州|甘肃|福建|广东|外省)(?:人|佬)"
            + _GAP
            + r"{0,3}(?:就是|都是|就爱|最|没一个)",
            r"(?:农村|乡下|山里)来的",
            r"(?:农民工|打工的|穷人)(?:就是|都是|都)",
            r"女人(?:就是|就不该|家|不该|懂什么)",
            r"老不死|老糊涂",
            r"离了婚的女人|寡妇",
            r"(?:这么|挺|长得)(?:年轻)?(?:漂亮|不错)" + _GAP + r"{0,10}(?:还钱|钱就|抵债|有钱男人|陪)",
            r"陪(?:我们)?的?(?:老板|经理|领导|老总)?(?:吃|喝|睡|玩)",
            r"瘸了|残疾人还",
            r"(?:东北|河南|外地|乡下|农村|山东|四川|广西|新疆|安徽|湖南|江西|贵州|甘肃|福建|广东|外省|湖北|河北|山西|陕西|云南)"
            r"(?:人|佬)(?:是不是|是否)?都(?:这么|这样|一个样)",
            r"(?:你们那儿|你们那边|你们那里|你们那)的人" + _GAP + r"{0,6}(?:就|都)",
            r"(?:农村|乡下|山里)出来的",
            r"(?:老年人|老头|老太太|老东西)(?:就是|还借|都是)|拖累社会",
            r"娘娘腔|坐轮椅的|残疾的还",
            r"(?:美女|小姐姐|妹子|靓女)" + _GAP + r"{0,12}(?:加个?微信|陪|出来|私下|声音)",
            r"晚上(?:一起)?(?:聊聊|陪)|聊开心了",
            r"(?:这个年纪|岁数大了?|年纪大了?|上了年纪)[^。！？?!]{0,12}(?:不给|没了|死|不靠谱|谁知道哪天)",
        ),
    ),
)

_COMPILED: tuple[tuple[ConductRule, tuple[re.Pattern[str], ...]], ...] = tuple(
    (rule, tuple(re.compile(p) for p in rule.patterns)) for rule in RULES
)

# Negation or reassurance that governs what follows it in the same clause; the debtor's own words
# reported back ("您说有人去您单位闹") or someone's claim ("自称法院的短信") are not the collector's act either.
_NEGATORS = re.compile(
    r"(?:不会|不得|不能|不可以|不可能|不允许|不应该?|不准|不用|无需|不必|不需要|不建议|(?<!要)不要|请勿|切勿|绝不|绝对不|决不|从不|从来不|"
    r"并不|也不会|也不(?![敢能好想])|千万别|没有(?:人|把|将|任何)|没有?(?=联系|告诉|通知|打|去|找|发|公开|曝光|上门)|"
    r"不(?=去|联系|告诉|通知|打扰|找|发|上门|公开|曝光|催|逼|让|叫|要求|劝)|不许|"
    r"没(?:把|将)|未|禁止|严禁|杜绝|避免|拒绝|(?<!是)不是|并非|不存在|不涉及|不构成|不属于|够不上|谈不上|别担心|放心|不要担心|承诺不|"
    r"您说|您提到|您反映|您是说|你说|你讲|你提到|侬讲|侬说|恁说|自称|声称|号称|所谓|如果说是|"
    r"勿要|覅|嫑|甭|唔好|唔会|唔使|冇|毋通|毋|袂|不等于|不意味着|不代表)"
)
# Words that start a new scope: punctuation and conditional consequences ("不还…就…").
_CLAUSE_BREAK = re.compile(r"[，,。.；;！!？?\n]|就|否则|不然|要不然|那么|那就|到时候|等着")  # 、 lists share a negation
# A negation that governs the debtor's act in a condition ("不还", "没还") does not protect the trigger.
_CONDITION_NEGATION = re.compile(r"(?:不|没|没有|不肯|不想|不愿意?)(?:还|付|给|接|处理|回复|回|理)")


# A negation after a topicalised object, in the clause or in a next one that starts with 我们
# ("通讯录里的人我们一个都不会联系", "您孩子学校的人不会接到电话", "孩子的老师，我们一律不会接触"),
# a denial of necessity after the act ("找亲戚借钱不是必须的"), or a debunking ("您说的逮捕令是假的").
_AFTER_NEGATION = re.compile(
    r"^(?:[^，,。.；;！!？?]{0,14}?|[^，,。.；;！!？?]{0,14}[，,]我们?[^，,。.；;！!？?]{0,6}?)"
    r"(?:(?:不会|不|没有|没|绝不|从不|袂|毋|勿|唔会)(?:再)?(?:去)?"
    r"(?:联系|打扰|打|告诉|通知|找|发|公开|接到|收到|知道|受|被牵连|被连累|承担|去|来|上门|过问|接触|使用|动用|用|寄|送|进|加|碰)|"
    r"不是必须|没有?必要|不是我们(?:发|寄|出)|是歧视|属于歧视|"
    r"是假的|是伪造|伪造的|是诈骗|不成立|是违规|是违法|违规的|违法的|不合规|违反规定|不建议|不推荐|"
    r"只会[^，,。.；;！!？?]{0,4}越|越欠越多|越陷越深|越滚越)"
    r"|^[^。.；;！!？?]{0,14}?[，,](?:这个|这种|这些|这样)?(?:我们|您|你)?(?:真的|千万|可|也)?"
    r"(?:(?:别|不要|不能)(?:您|你)?(?:这么|这样)|不建议|不推荐|不提倡)"
    r"|^[^。.；;！!？?]{0,6}[，,][^，,。.；;！!？?]{0,8}(?:是假的|是诈骗|是骗人|系呃人|呃人|是冒充|不是我们(?:发|寄|出)|是歧视)"
)
# "不会因为逾期就坐牢": a denied cause keeps its negation across the 就 of its consequence.
_DENIED_CAUSE = re.compile(r"(?:不会|不可能|并不会|不至于|不是)(?:仅仅|单单|只)?(?:因为|因|由于)[^，,。.；;！!？?]{0,12}$")


def _negated(text: str, start: int, window: int = 14, end: int | None = None) -> bool:
    if end is not None and _AFTER_NEGATION.match(text[end:]):
        return True
    lo = max(0, start - window)
    breaks = [
        b
        for b in _CLAUSE_BREAK.finditer(text, lo, start)
        if not (b.group() == "就" and _DENIED_CAUSE.search(text, lo, b.start()))
    ]
    # Negators are searched in the whole text so that their look-aheads see the trigger ("没有联系您…").
    for m in _NEGATORS.finditer(text, breaks[-1].end() if breaks else lo):
        if m.start() >= start:
            break
        if _CONDITION_NEGATION.match(text, m.start()):
            continue
        return True
    return False


@lru_cache(maxsize=1)
def _profanity_filter() -> object | None:
    try:
        from glin_profanity import Filter
    except ImportError:  # pragma: no cover - optional dependency
        return None
    return Filter({"languages": ["chinese"], "word_boundaries": False})


_PROFANITY_FALSE_FRIENDS = ("他妈妈", "她妈妈", "你妈妈", "妈妈", "爸妈", "你爸你妈", "逼迫", "逼你", "逼不得已", "鸡蛋", "小鸡")


def _profanity(text: str) -> list[Violation]:
    flt = _profanity_filter()
    if flt is None:
        return []
    cleaned = text
    for word in _PROFANITY_FALSE_FRIENDS:
        cleaned = cleaned.replace(word, "□" * len(word))
    result = flt.check_profanity(cleaned)  # type: ignore[attr-defined]
    found: list[Violation] = []
    for word in result.get("profane_words", []):
        if len(word) < 2:
            continue  # single characters such as 逼 or 操 are too ambiguous on their own
        pos = cleaned.find(word)
        if pos >= 0 and not _negated(cleaned, pos):
            found.append(Violation("insult", (pos, pos + len(word)), Severity.medium, word))
    return found


def scan(text: str) -> tuple[list[Violation], int]:
    """The rule findings of one utterance, and how many triggers a negation or reassurance suppressed."""
    found: list[Violation] = []
    suppressed = 0
    for rule, patterns in _COMPILED:
        for pattern in patterns:
            for m in pattern.finditer(text):
                if _negated(text, m.start(), end=m.end()):
                    suppressed += 1
                    continue
                found.append(Violation(rule.id, (m.start(), m.end()), rule.severity, m.group(0)))
    found.extend(_profanity(text))
    # One finding per rule per overlapping region.
    found.sort(key=lambda v: (v.span[0], -(v.span[1] - v.span[0])))
    kept: list[Violation] = []
    for v in found:
        if any(k.rule == v.rule and k.span[0] <= v.span[0] < k.span[1] for k in kept):
            continue
        kept.append(v)
    return kept, suppressed


_CONTRAST = re.compile(r"但是?|不过|可是|只是|然而")


def _turns_after_reassurance(text: str) -> bool:
    """"我们不会上门，但是…": a reassurance, then a contrast that may take it back."""
    first = _NEGATORS.search(text)
    return first is not None and _CONTRAST.search(text, first.end()) is not None


def signals(text: str, scanned: tuple[list[Violation], int] | None = None) -> list[float]:
    """Rule-side inputs of the semantic guard: findings, suppressed triggers, negators, conditions,
    and a contrast after a reassurance. `scanned` is `scan(text)` when the caller has it already."""
    found, suppressed = scanned if scanned is not None else scan(text)
    return [
        float(min(len(found), 3)),
        float(min(suppressed, 3)),
        float(min(len(_NEGATORS.findall(text)), 3)),
        float(min(len(_CONDITION_NEGATION.findall(text)), 3)),
        float(_turns_after_reassurance(text)),
    ]


SIGNAL_NAMES: tuple[str, ...] = (
    "rule_findings",
    "suppressed_triggers",
    "negators",
    "condition_negations",
    "contrast_after_reassurance",
)


def check_rules(text: str) -> list[Violation]:
    """The rules alone (fast, no model): what matches and is not negated."""
    return scan(text)[0]


def check_many(texts: list[str], *, semantic: bool = True) -> list[list[Violation]]:
    """Rules, plus the semantic guard (sentence embeddings and a trained head, `conduct_model.py`)
    for what the rules' vocabulary misses. `semantic=False`, or no trained head, gives the rules alone."""
    scans = [scan(t) for t in texts]
    results = [found for found, _suppressed in scans]
    if not semantic:
        return results
    from qingzhai.conversation.conduct_model import semantic_findings

    extra = semantic_findings(texts, scans)
    if extra is None:
        return results
    for found, more in zip(results, extra, strict=True):
        if not found and more is not None:
            found.append(more)
    return results


def check(text: str, *, semantic: bool = True) -> list[Violation]:
    """Every prohibited-conduct finding in one utterance, ordered by position."""
    return check_many([text], semantic=semantic)[0]


def is_compliant(text: str) -> bool:
    return not check(text)


def rule_ids() -> tuple[str, ...]:
    return tuple(rule.id for rule in RULES)
