"""Traditional Chinese questions and answers in the voice of Taiwan e-Hospital (台灣e院), drawn from a caller's Dice.

The 35 department names are the real site's (docs/sites/tw_ehospital.md); their weights, phrase banks,
answerers and hospitals are invented and only have to read plausibly. Lines come back as the page displays
them: they may hold full-width spaces (U+3000), which the contract collapses, so the ground truth passes them
through `normalised`. Characters CP950 cannot encode (堃, 喆, 峯, 凃, 𠮷) stay as they are: the page encoder writes
them as numeric entities, as the real Big5 site does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from qacrawler.sandbox.doctorqna_text import Dice, QuestionStyle, cumulative, question_paragraphs

UNANSWERED_SHARE = 0.08
HOSPITAL_SHOWN_SHARE = 0.7


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    weight: int  # share of all questions, so listings get realistic uneven sizes
    complaints: tuple[str, ...]
    tests: tuple[str, ...]
    treatments: tuple[str, ...]
    conditions: tuple[str, ...]
    categories: tuple[str, ...]  # 相關分類 tags
    answerers: tuple[tuple[str, str], ...]  # (name as the doctor line prints it, hospital)


# name, weight, then space-separated banks: complaints, tests, treatments, conditions, categories, answerer@hospital
_BANKS = (
    ("神經內科", 5, "頭痛 頭暈 手麻 眼皮跳動 手抖", "腦波檢查 核磁共振 神經傳導檢查", "普拿疼 Clonazepam 維生素B群",
     "偏頭痛 巴金森氏症 腕隧道症候群 癲癇", "頭痛 頭暈 中風 失眠 手麻",
     "林大明@部立桃園醫院 陳冠宇@臺北醫院 王醫師@部立臺中醫院"),
    ("神經外科", 2, "腰痛 脖子痛 手腳無力 坐骨神經痛", "腰椎X光 頸椎核磁共振 電腦斷層", "肌肉鬆弛劑 止痛藥 類固醇注射",
     "椎間盤突出 脊椎滑脫 腦膜瘤", "椎間盤突出 脊椎手術 頭部外傷", "黃建宏@部立彰化醫院 張志豪@部立基隆醫院"),
    ("胸腔內科", 3, "咳嗽 喘 胸悶 痰多 打鼾", "胸部X光 肺功能檢查 低劑量電腦斷層", "支氣管擴張劑 化痰藥 吸入型類固醇",
     "氣喘 慢性阻塞性肺病 肺結節 睡眠呼吸中止症", "咳嗽 氣喘 肺結節 肺炎",
     "李文雄@部立胸腔病院 吳醫師@部立嘉義醫院 劉佳蓉@部立臺南醫院"),
    ("整型外科", 2, "疤痕 眼袋 蟹足腫 傷口癒合不良", "傷口評估 軟組織超音波", "除疤凝膠 美容膠帶 類固醇注射",
     "蟹足腫 脂肪瘤 皮脂腺囊腫", "疤痕 雙眼皮 隆乳 傷口照護", "蔡明哲@部立桃園醫院 楊醫師@臺北醫院"),
    ("肝膽腸胃科", 6, "胃食道逆流 脹氣 血便 上腹痛 便秘", "胃鏡 大腸鏡 腹部超音波 肝功能檢查",
     "氫離子幫浦阻斷劑 制酸劑 益生菌", "胃潰瘍 B型肝炎 脂肪肝 大腸激躁症", "胃食道逆流 B型肝炎 脂肪肝 便秘 腹瀉",
     "許志偉@部立屏東醫院 鄭宗翰@部立臺中醫院 謝醫師@部立新竹醫院"),
    ("潛水醫學科", 1, "耳朵痛 關節痠痛 頭暈 耳鳴", "高壓氧評估 聽力檢查", "高壓氧治療 鼻噴劑", "減壓病 耳氣壓傷 氮醉",
     "潛水 高壓氧 減壓病", "郭德明@部立澎湖醫院"),
    ("核子醫學科", 1, "甲狀腺結節 骨頭痛 心悸", "骨骼掃描 甲狀腺掃描 正子攝影", "放射性碘 甲狀腺素",
     "甲狀腺亢進 骨轉移 心肌缺氧", "正子攝影 骨骼掃描 放射性碘治療", "洪國華@部立臺中醫院"),
    ("心臟血管專科", 3, "胸痛 心悸 喘 心律不整 腳踝水腫", "心電圖 24小時心電圖 心臟超音波 運動心電圖",
     "乙型阻斷劑 阿斯匹靈 抗凝血劑", "心律不整 二尖瓣脫垂 冠狀動脈疾病", "心律不整 胸痛 二尖瓣脫垂 高血壓 心臟衰竭",
     "邱俊傑@部立桃園醫院 曾建國@部立苗栗醫院 廖醫師@部立豐原醫院"),
    ("乳房甲狀腺科", 2, "乳房硬塊 乳房脹痛 脖子腫塊 乳頭分泌物", "乳房超音波 乳房攝影 甲狀腺超音波 細針穿刺",
     "甲狀腺素 抗甲狀腺藥物", "纖維腺瘤 乳癌 甲狀腺結節", "乳房腫塊 乳癌篩檢 甲狀腺結節",
     "賴怡君@部立新竹醫院 周醫師@部立臺南醫院"),
    ("產後憂鬱諮詢", 1, "情緒低落 失眠 常常想哭 焦慮", "愛丁堡產後憂鬱量表 心理衡鑑", "抗憂鬱劑 心理諮商",
     "產後憂鬱症 產後焦慮 適應障礙", "產後憂鬱 哺乳用藥 育兒壓力", "葉淑芬@部立桃園療養院 蘇心怡@部立草屯療養院"),
    ("內科", 6, "高血壓 胸悶 膽固醇過高 口渴 腳水腫", "抽血檢查 心電圖 尿液檢查", "降血壓藥 降血脂藥 Metformin",
     "糖尿病 甲狀腺亢進 腎臟病", "高血壓 糖尿病 甲狀腺 膽固醇",
     "莊志明@部立基隆醫院 呂醫師@部立花蓮醫院 江文彬@臺北醫院"),
    ("牙科", 3, "牙痛 牙齦出血 蛀牙 智齒痛 口臭", "牙齒X光 環口攝影", "止痛藥 抗生素 含氟牙膏",
     "牙周病 智齒發炎 牙髓炎", "蛀牙 智齒 牙周病 植牙 矯正", "何佩珊@部立臺東醫院 蕭醫師@部立南投醫院"),
    ("外科", 4, "皮下腫塊 鼠蹊部突起 傷口感染 甲溝炎 肛門疼痛", "超音波 切片檢查 電腦斷層", "手術 換藥 抗生素",
     "脂肪瘤 疝氣 痔瘡 膿瘍", "疝氣 痔瘡 脂肪瘤 傷口照護 膽結石",
     "羅國榮@部立金門醫院 高志遠@部立旗山醫院 潘醫師@部立新營醫院"),
    ("兒科", 5, "反覆發燒 起紅疹 咳嗽 食慾不振 體重增加慢", "抽血檢查 生長評估 胸部X光", "退燒藥 咳嗽糖漿 口服電解液",
     "腸病毒 玫瑰疹 氣喘", "嬰兒發燒 生長發育 疫苗接種 咳嗽",
     "簡美惠@部立朴子醫院 朱家豪@部立屏東醫院 鍾醫師@部立彰化醫院"),
    ("骨科", 4, "膝蓋痛 腰痛 腳踝扭傷 肩膀痛 足跟痛", "X光 核磁共振 骨密度檢查", "消炎止痛藥 葡萄糖胺 玻尿酸注射",
     "退化性關節炎 骨質疏鬆 十字韌帶斷裂", "膝關節 骨折 骨質疏鬆 扭傷", "彭德勝@部立臺中醫院 游明憲@部立豐原醫院"),
    ("眼科", 4, "飛蚊症 視力模糊 眼睛乾澀 眼睛紅 眼皮跳", "眼壓檢查 散瞳檢查 視力檢查", "人工淚液 抗生素眼藥水 散瞳劑",
     "青光眼 視網膜剝離 白內障 結膜炎", "飛蚊症 近視 乾眼症 青光眼 白內障", "詹雅婷@部立嘉義醫院 胡醫師@部立桃園醫院"),
    ("漢生病", 1, "皮膚麻木 皮膚斑塊 手指變形", "皮膚抹片 切片檢查", "多重藥物治療 Rifampicin", "漢生病 周邊神經病變",
     "漢生病 皮膚病變 復健", "施俊宏@部立樂生療養院"),
    ("中醫科", 3, "手腳冰冷 睡不好 盜汗 經痛 食慾不振", "把脈 舌診", "針灸 中藥 拔罐", "氣虛 濕氣重 陰虛",
     "針灸 中藥 體質調理 月經調理 失眠", "沈秀英@部立臺南醫院 余醫師@部立臺中醫院"),
    ("皮膚科", 8, "皮膚癢 青春痘 掉髮 黑斑 痣變大", "皮膚切片 黴菌檢查 過敏原檢查", "類固醇藥膏 抗組織胺 A酸",
     "濕疹 蕁麻疹 乾癬 黴菌感染", "濕疹 青春痘 掉髮 蕁麻疹 痣 病毒疣",
     "盧宜萱@部立豐原醫院 梁醫師@部立新竹醫院 趙子豪@臺北醫院"),
    ("泌尿科", 10, "頻尿 解尿疼痛 血尿 睪丸腫塊 尿流無力", "尿液檢查 PSA檢查 腎臟超音波", "抗生素 Tamsulosin 蔓越莓錠",
     "泌尿道感染 腎結石 攝護腺炎 包莖", "泌尿道感染 腎結石 攝護腺 頻尿 包皮",
     "顏正雄@部立桃園醫院 柯醫師@部立花蓮醫院 翁志成@部立嘉義醫院"),
    ("家醫科", 8, "容易疲倦 喉嚨痛 微燒 體重減輕 淋巴結腫大", "抽血檢查 胸部X光 健康檢查", "抗生素 退燒藥 維他命",
     "病毒感染 貧血 甲狀腺問題", "發燒 健康檢查 疫苗 疲倦 體重減輕",
     "魏美玲@部立苗栗醫院 孫醫師@部立基隆醫院 戴文傑@部立恆春旅遊醫院"),
    ("高年科", 1, "記憶力變差 跌倒 夜尿 食慾變差", "認知功能評估 骨密度檢查 抽血檢查", "失智症用藥 鈣片 安眠藥",
     "失智症 骨質疏鬆 肌少症", "失智症 跌倒 多重用藥 長期照護", "范秀琴@部立樂生療養院 方醫師@臺北醫院"),
    ("婦產科", 14, "月經不規則 下腹痛 分泌物異常 性行為後出血 月經延遲 乳房脹痛",
     "骨盆腔超音波 子宮頸抹片 驗孕 荷爾蒙檢查", "口服避孕藥 黃體素 陰道塞劑 事後避孕藥",
     "子宮內膜異位症 子宮肌瘤 多囊性卵巢 子宮外孕", "月經 懷孕 避孕 分泌物 子宮肌瘤 更年期",
     "宋怡萱@部立桃園醫院 鄧家明@部立臺南醫院 杜醫師@部立屏東醫院"),
    ("麻醉科", 1, "術後疼痛 麻醉後噁心 喉嚨痛", "術前評估 心電圖", "止痛藥 止吐藥 自控式止痛", "惡性高熱 麻醉過敏",
     "全身麻醉 半身麻醉 無痛分娩 術後止痛", "傅建志@部立臺中醫院"),
    ("復健科", 3, "下背痛 肩膀僵硬 膝蓋痛 脖子痛 中風後無力", "X光 肌力評估 肌肉骨骼超音波",
     "物理治療 牽引 熱敷 震波治療", "椎間盤突出 五十肩 足底筋膜炎", "下背痛 五十肩 膝蓋痛 物理治療 語言治療",
     "侯俊宏@部立新營醫院 曹醫師@部立玉里醫院"),
    ("腫瘤科", 2, "體重減輕 淋巴結腫大 持續咳嗽 化療後噁心", "腫瘤標記 電腦斷層 正子攝影", "化學治療 標靶藥物 止吐藥",
     "肺癌 大腸癌 淋巴瘤", "化學治療 標靶治療 腫瘤標記 安寧療護", "薛明仁@部立彰化醫院"),
    ("精神科", 6, "焦慮 失眠 情緒低落 恐慌 強迫思考", "心理衡鑑 憂鬱量表", "Sertraline Alprazolam 認知行為治療",
     "憂鬱症 廣泛性焦慮症 強迫症 躁鬱症", "失眠 憂鬱 焦慮 恐慌症 藥物副作用",
     "丁俊男@部立八里療養院 卓醫師@部立嘉南療養院 馬佳慧@部立玉里醫院"),
    ("體適能", 1, "運動後痠痛 體力變差 肥胖 膝蓋不適", "體適能檢測 體脂測量", "有氧運動 重量訓練 伸展運動",
     "肌少症 運動傷害", "減重 運動處方 重量訓練", "董立偉@部立臺東醫院"),
    ("營養教室", 2, "體重過重 血糖偏高 便秘 貧血", "飲食紀錄 體組成分析", "低GI飲食 高纖飲食 營養補充品",
     "肥胖 缺鐵性貧血 高尿酸", "減重 飲食控制 糖尿病飲食 素食營養", "陳雅雯營養師@部立臺中醫院 林營養師@部立桃園醫院"),
    ("戒菸諮詢", 1, "菸癮 戒斷症狀 咳嗽 體重增加", "一氧化碳檢測 尼古丁成癮度評估", "尼古丁貼片 戒必適 尼古丁口嚼錠",
     "尼古丁依賴 慢性支氣管炎", "戒菸 電子煙 二手菸", "黃國禎@部立金門醫院"),
    ("藥物諮詢", 2, "藥物過敏 吃藥後頭暈 吃藥後胃痛 藥物交互作用", "藥歷查詢 肝腎功能檢查", "普拿疼 抗生素 胃藥 安眠藥",
     "藥物過敏 藥物副作用", "用藥安全 藥物交互作用 懷孕用藥 保健食品", "王淑惠藥師@部立臺南醫院 李藥師@部立基隆醫院"),
    ("流感諮詢", 1, "發燒 全身痠痛 咳嗽 喉嚨痛", "流感快篩 胸部X光", "克流感 瑞樂沙 退燒藥", "流行性感冒 肺炎",
     "流感疫苗 克流感 發燒", "張永昌@部立屏東醫院"),
    ("耳鼻喉科", 5, "耳鳴 鼻塞 聲音沙啞 喉嚨異物感 流鼻血", "鼻咽內視鏡 聽力檢查 喉頭鏡", "鼻噴劑 抗組織胺 耳藥水",
     "鼻竇炎 中耳炎 過敏性鼻炎 鼻咽癌", "耳鳴 鼻竇炎 過敏性鼻炎 聽力 扁桃腺",
     "陳志宏@部立新竹醫院 林醫師@部立澎湖醫院"),
    ("罕見疾病", 1, "肌肉無力 發展遲緩 關節變形", "基因檢測 新生兒篩檢", "酵素替代療法 復健治療",
     "龐貝氏症 小胖威利症 成骨不全症", "罕見疾病 基因檢測 遺傳諮詢", "吳欣穎@部立桃園醫院"),
    ("放射線科", 1, "放射線暴露 顯影劑過敏 檢查後不適", "電腦斷層 核磁共振 X光", "顯影劑 抗組織胺",
     "輻射劑量 顯影劑腎病變", "電腦斷層 核磁共振 輻射安全", "蔡正宗@臺北醫院"),
)


def _department(name: str, weight: int, complaints: str, tests: str, treatments: str, conditions: str,
                categories: str, answerers: str) -> Department:
    pairs = tuple((doctor, hospital) for doctor, _, hospital in (entry.partition("@") for entry in answerers.split()))
    return Department(name, weight, tuple(complaints.split()), tuple(tests.split()), tuple(treatments.split()),
                      tuple(conditions.split()), tuple(categories.split()), pairs)


DEPARTMENTS: tuple[Department, ...] = tuple(_department(*bank) for bank in _BANKS)


def normalised(text: str) -> str:
    """The contract's reading of a displayed line: whitespace runs (U+3000 included) to one space, stripped."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Asker:
    name: str  # "" when left blank
    gender: str  # 男, 女 or "" when not given
    age: str  # as printed: 30~39歲, 35歲, 60歲以上, 10歲以下, 保密 or ""
    age_min: int | None
    age_max: int | None


@dataclass(frozen=True, slots=True)
class Reply:
    doctor: str
    hospital: str | None  # None: the doctor line leaves the hospital out
    delay: int  # days after the ask date
    answer: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    """Everything about one article that depends on its text stream, as displayed."""

    title: str
    question: tuple[str, ...]
    asker: Asker
    reply: Reply | None  # None: not answered yet
    view_count: int
    categories: tuple[str, ...]


_SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪邱曾廖賴周葉蘇莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴"
_GIVEN = ("美玲", "志明", "怡君", "淑芬", "家豪", "雅婷", "俊傑", "欣怡", "冠廷", "佩珊", "宗翰", "詩涵", "承恩",
          "惠敏", "建宏", "麗華", "文雄", "秀英", "子晴", "柏翰")
_PSEUDONYMS = ("小美", "阿明", "匿名", "路人甲", "擔心的媽媽", "焦慮的人", "小花", "無名氏", "網友", "上班族", "大學生",
               "新手媽媽", "阿嬤", "小胖", "天天", "不想具名")
_HANDLES = ("kevin_88", "Amy", "mandy0912", "Tom", "cat_lover", "JJ", "sunny", "x", "A-Lin", "Jerry Chen", "QQ",
            "peggy.w", "Ken")
# CP950 has none of 堃喆凃峯𠮷
_UNENCODABLE_NAMES = ("王堃", "林宏堃", "張喆", "凃美玲", "李峯銘", "𠮷田小姐", "陳𠮷祥")
_NAME_KINDS = ("real", "pseudonym", "handle", "title", "unencodable", "blank")
_NAME_KIND_WEIGHTS = cumulative((45, 25, 18, 7, 4, 1))

_GENDERS = ("女", "男", "")
_GENDER_WEIGHTS = cumulative((58, 40, 2))
_DECADES = (10, 20, 30, 40, 50, 60, 70)
_DECADE_WEIGHTS = cumulative((6, 25, 28, 18, 11, 8, 4))
_AGE_FORMS = ("range", "exact", "above", "below", "secret", "blank")
_AGE_FORM_WEIGHTS = cumulative((85, 5, 3, 2, 3, 2))
_DELAY_WEIGHTS = cumulative((40, 25, 15, 10, 6, 4))  # reply 0 … 5 days after the question

_DURATIONS = ("兩個月", "一個禮拜", "三天", "半年", "好幾年", "大約一個月", "兩週")
_WHEN = ("晚上睡覺時", "吃完飯後", "早上起床時", "站起來的時候", "運動後", "累的時候")
_PLACES = ("家裡附近的診所", "醫學中心", "急診", "地區醫院")
_RELATIVES = ("媽媽", "爸爸", "兒子", "女兒", "先生", "太太", "阿嬤", "弟弟")
_DRUGS = ("普拿疼", "維他命C", "胃藥", "降血壓藥", "安眠藥", "止痛藥", "鈣片", "魚油", "抗生素")
_DOSES = ("每天兩次 500mg", "一天三次，每次一顆", "睡前吃半顆", "每天一次 5mg", "早晚各一顆", "每次 10ml，一天三次",
          "一天一顆 100mg")
_URLS = ("https://www.health.example.tw/qa?id={n}", "http://blog.example.net/post/{n}.html",
         "https://forum.example.tw/t/{n}")

_TITLES = (
    ("{s}怎麼辦？", 10), ("請問{s}是{c}嗎？", 8), ("{s}", 6), ("關於{m}的問題", 4), ("{s}需要做{t}嗎", 4),
    ("{rel}{s}很久了", 3), ("{s}!!", 3), ("急!!{s}", 2), ("{s}和{s2}", 3), ("請問醫師", 2), ("{age}歲，{s}怎麼辦", 2),
    ("{c}?", 3), ("{s}，請問是{c}嗎?", 3), ("吃{drug}後{s2}", 2), ("一直{s}，很擔心", 4), ("請問", 1),
)
_TITLE_FORMS = tuple(form for form, _ in _TITLES)
_TITLE_WEIGHTS = cumulative([weight for _, weight in _TITLES])

_GREETING_LINES = ("醫師您好：", "醫生您好", "您好", "醫師好：")
_GREETING_PREFIXES = ("醫師您好，", "不好意思打擾了，", "請問醫師，")
_INTROS = (
    "我今年{age}歲，最近{d}一直有{s}的情形，而且好像越來越嚴重。",
    "從{date}開始就{s}，到現在已經{d}了。",
    "我{rel}今年{rel_age}歲，{d}前開始{s}，家人都很擔心。",
    "本人{age}歲，{s}大約{d}了，{when}特別明顯。",
    "最近常常{s}，尤其是{when}。",
    "我是{age}歲的上班族，{date}那天突然{s}。",
)
_DETAILS = (
    "之前到{place}做過{t}，醫生說沒有問題。",
    "目前每天吃{drug}，{dose}。",
    "{date}去{place}看過，醫生建議{m}，但效果不明顯。",
    "家族有{c}的病史，所以很擔心。",
    "平常血壓大約 {bp} mmHg，心跳每分鐘 {hr} 下。",
    "在網路上查了很多資料，越看越擔心，例如這篇 {url} 的說法。",
    "有時候也會{s2}。",
    "工作很忙，常常熬夜到凌晨2點。",
    "沒有抽菸、喝酒的習慣，也沒有其他慢性病。",
    "症狀在累的時候或壓力大時會更嚴重。",
    "體重這{d}掉了3公斤，食慾也不太好。",
    "抽血報告有一項數值<正常值，不知道要不要緊。",
    "吃藥&休息了{d}還是沒有好轉。",
)
_ASKS = (
    "請問這是{c}嗎？", "請問需要做{t}嗎？", "請問{m}有副作用嗎？", "請問應該看哪一科比較好？",
    "請問這樣嚴重嗎？會不會影響日常生活？", "請問大概多久會好？", "有什麼方法可以改善{s}？",
)
_NUMBERED_ASKS = ("這是{c}嗎？", "需要做{t}嗎？", "{drug}可以繼續吃嗎？", "{s}會自己好嗎？", "會傳染嗎？",
                  "平常生活要注意什麼？")
_NUMBERINGS = ("{n}. ", "{n}、", "({n})")
_CLOSERS = ("謝謝醫師！", "麻煩您了，謝謝。", "感謝您的回覆！", "謝謝", "感恩")
_UNENCODABLE_DETAIL = "上個月在𠮷野家吃完牛丼後就開始不舒服。"  # 𠮷 (U+20BB7) is outside CP950
CHINESE_QUESTIONS = QuestionStyle("想請問：", _NUMBERED_ASKS, _NUMBERINGS, "", _CLOSERS)

_ANSWER_GREETINGS = ("您好：", "您好，", "網友您好：", "", "")
_ANSWER_OPENINGS = (
    "{s}的原因很多，可能與{c}、壓力或睡眠不足有關。",
    "依照您的描述，{s}比較可能是{c}，但仍需要進一步檢查才能確定。",
    "您提到的症狀相當常見，大部分並不嚴重。",
    "網路上無法直接診斷，但{s}持續{d}，建議要注意。",
    "謝謝您的來信。",
)
_ANSWER_LINES = (
    "建議您至{D}門診做{t}。",
    "若檢查結果正常，就不必過度擔心。",
    "{m}一般來說相當安全，但請依照醫師指示，不要自行停止。",
    "請避免咖啡、酒精及熬夜，維持規律的作息。",
    "如果症狀持續惡化，或出現{s2}，就需要進一步檢查。",
    "相關衛教資訊可參考國民健康署網站 https://www.hpa.gov.tw/ 。",
    "{c}通常在適當休息後兩到三週內會改善。",
    "血壓最好控制在 130/80 mmHg 以下，並定期追蹤血糖。",
    "治療方式包括{m}及{m2}，須視病因而定。",
    "大部分像您這樣的情況都是良性的，請不要太過焦慮。",
    "規律運動，例如每天快走30分鐘，對改善症狀很有幫助。",
)
_POINTS = ("多休息，避免熬夜。", "每天喝足夠的水，約 2000 ml。", "至附近醫院安排{t}。",
           "記錄症狀發生的時間，就診時提供給醫師參考。", "不要自行購買{drug}服用。", "若{d}後仍未改善，請回診追蹤。")
_SIGN_OFFS = ("祝　身體健康", "{hospital}{D}　{doctor} 敬上", "{hospital}關心您的健康",
              "本回覆僅供參考，如有不適請儘速就醫。", "{doctor}", "")
_ANSWER_PARAGRAPH_WEIGHTS = cumulative((15, 30, 30, 15, 10))


def _asker_name(rng: Dice) -> str:
    kind = rng.weighted(_NAME_KINDS, _NAME_KIND_WEIGHTS)
    if kind == "real":
        return rng.pick(_SURNAMES) + rng.pick(_GIVEN)
    if kind == "pseudonym":
        return rng.pick(_PSEUDONYMS)
    if kind == "handle":
        return rng.pick(_HANDLES)
    if kind == "title":
        return rng.pick(_SURNAMES) + rng.pick(("小姐", "先生", "太太"))
    if kind == "unencodable":
        return rng.pick(_UNENCODABLE_NAMES)
    return ""


def _asker(rng: Dice) -> Asker:
    name, gender = _asker_name(rng), rng.weighted(_GENDERS, _GENDER_WEIGHTS)
    form = rng.weighted(_AGE_FORMS, _AGE_FORM_WEIGHTS)
    if form == "range":
        low = rng.weighted(_DECADES, _DECADE_WEIGHTS)
        return Asker(name, gender, f"{low}~{low + 9}歲", low, low + 9)
    if form == "exact":
        age = rng.between(15, 75)
        return Asker(name, gender, f"{age}歲", age, age)
    if form == "above":
        age = rng.pick((60, 65, 70))
        return Asker(name, gender, f"{age}歲以上", age, None)
    if form == "below":
        age = rng.pick((10, 12, 18))
        return Asker(name, gender, f"{age}歲以下", None, age)
    return Asker(name, gender, "保密" if form == "secret" else "", None, None)


def _text_date(day: date, rng: Dice) -> str:
    """A date as askers type it inside their text: 2018/3/5, 民國107年3月5日 or 3/5."""
    form = rng.between(0, 2)
    if form == 0:
        return f"{day.year}/{day.month}/{day.day}"
    if form == 1:
        return f"民國{day.year - 1911}年{day.month}月{day.day}日"
    return f"{day.month}/{day.day}"


def _fills(rng: Dice, department: Department, asker: Asker, ask_date: date) -> dict[str, str]:
    s, s2 = rng.several(department.complaints, 2)
    m, m2 = rng.several(department.treatments, 2)
    low = asker.age_min if asker.age_min is not None else max(1, asker.age_max - 8) if asker.age_max is not None else 20
    high = asker.age_max if asker.age_max is not None else low + 20
    return {
        "s": s, "s2": s2, "m": m, "m2": m2, "t": rng.pick(department.tests), "c": rng.pick(department.conditions),
        "D": department.name, "d": rng.pick(_DURATIONS), "when": rng.pick(_WHEN), "place": rng.pick(_PLACES),
        "rel": rng.pick(_RELATIVES), "age": str(rng.between(low, high)), "rel_age": str(rng.between(2, 85)),
        "date": _text_date(ask_date - timedelta(days=rng.between(3, 400)), rng),
        "drug": rng.pick(_DRUGS), "dose": rng.pick(_DOSES),
        "bp": f"{rng.between(105, 150)}/{rng.between(65, 95)}", "hr": str(rng.between(58, 110)),
        "url": rng.pick(_URLS).format(n=rng.between(100, 99999)),
    }


def _question(rng: Dice, fills: dict[str, str]) -> tuple[str, ...]:
    details, asks = rng.fresh(_DETAILS), rng.fresh(_ASKS)  # no sentence twice: at most 11 of 13 details, 5 of 7 asks
    lines: list[str] = []
    greeting = rng.random()
    if greeting < 0.35:
        lines.append(rng.pick(_GREETING_LINES))
    intro = rng.pick(_INTROS).format_map(fills)
    lines.append(rng.pick(_GREETING_PREFIXES) + intro if 0.35 <= greeting < 0.6 else intro)
    for _ in range(rng.pick((0, 0, 1, 2))):
        lines[-1] += next(details).format_map(fills)
    if rng.random() < 0.02:
        lines.append(_UNENCODABLE_DETAIL)
    return tuple(question_paragraphs(rng, lines, fills, details, asks, CHINESE_QUESTIONS))


def _answer(rng: Dice, fills: dict[str, str], asker: Asker, doctor: str, hospital: str) -> tuple[str, ...]:
    sentences = rng.fresh(_ANSWER_LINES)  # no sentence twice: at most 8 of 11 are drawn
    greeting = f"{asker.name}您好：" if asker.name and rng.random() < 0.15 else rng.pick(_ANSWER_GREETINGS)
    lines = [greeting + rng.pick(_ANSWER_OPENINGS).format_map(fills)]
    for _ in range(rng.weighted(range(5), _ANSWER_PARAGRAPH_WEIGHTS)):
        lines.append("".join(next(sentences).format_map(fills) for _ in range(rng.between(1, 2))))
    if rng.random() < 0.25:
        lines.append("建議如下：")
        numbering = rng.pick(_NUMBERINGS)
        points = rng.several(_POINTS, rng.between(2, 4))
        lines.extend(numbering.format(n=n) + point.format_map(fills) for n, point in enumerate(points, 1))
    sign_off = rng.pick(_SIGN_OFFS).format_map({**fills, "doctor": doctor, "hospital": hospital})
    if sign_off:
        lines.append(sign_off)
    return tuple(lines)


def write_question(rng: Dice, department: Department, ask_date: date, *, answered: bool = False) -> Question:
    """One article's text; `ask_date` keeps the dates askers mention before the day they asked. `answered`
    gives every question a reply (a site whose unanswered pages are chosen apart); the draws stay the same."""
    asker = _asker(rng)
    fills = _fills(rng, department, asker, ask_date)
    title = rng.weighted(_TITLE_FORMS, _TITLE_WEIGHTS).format_map(fills)
    question = _question(rng, fills)
    reply = None
    if rng.random() >= UNANSWERED_SHARE or answered:
        doctor, hospital = rng.pick(department.answerers)
        shown = hospital if rng.random() < HOSPITAL_SHOWN_SHARE else None
        delay = rng.weighted(range(6), _DELAY_WEIGHTS)
        reply = Reply(doctor, shown, delay, _answer(rng, fills, asker, doctor, hospital))
    view_count = rng.between(20, 400) + int(rng.random() ** 4 * 60000)
    categories = tuple(rng.several(department.categories, rng.between(1, 3))) if rng.random() < 0.5 else ()
    return Question(title, question, asker, reply, view_count, categories)
