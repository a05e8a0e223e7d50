"""Demo content: technology topics per field, written so that needs and achievements on the
same topic share vocabulary and meaning (and some only meaning), giving real matches.

Each topic: (Chinese name, Chinese keywords, problem, applications, English name, English keywords).
"""

TOPICS = {
    "electronic-information": [
        ("毫米波雷达芯片", ["毫米波", "雷达", "射频芯片", "相控阵"], "探测距离短、抗干扰能力弱", "智能驾驶、安防监控、低空飞行器",
         "millimetre-wave radar chip", ["millimetre wave", "radar", "RF chip"]),
        ("光纤传感监测", ["光纤传感", "分布式测温", "应变监测"], "长距离管线状态难以实时监测", "油气管道、隧道、电力电缆",
         "distributed fibre-optic sensing", ["fibre optic", "sensing", "monitoring"]),
        ("5G小基站", ["5G", "小基站", "室内覆盖", "通信"], "室内信号覆盖差、部署成本高", "商场、工厂、地铁站",
         "5G small cell", ["5G", "small cell", "indoor coverage"]),
        ("电磁兼容测试", ["电磁兼容", "EMC", "屏蔽", "干扰抑制"], "电子产品电磁干扰导致认证失败", "车载电子、医疗设备、工业控制",
         "electromagnetic compatibility", ["EMC", "shielding", "interference"]),
    ],
    "artificial-intelligence": [
        ("工业视觉缺陷检测", ["机器视觉", "缺陷检测", "深度学习", "质检"], "人工质检效率低、漏检率高", "电子制造、钢材、纺织品",
         "industrial visual defect detection", ["machine vision", "defect detection", "deep learning"]),
        ("大语言模型知识问答", ["大模型", "知识图谱", "问答系统", "自然语言处理"], "企业知识分散、检索困难", "政务服务、客服、法律咨询",
         "LLM question answering", ["large language model", "knowledge graph", "question answering"]),
        ("智能语音识别", ["语音识别", "方言", "声学模型"], "方言和噪声环境下识别准确率低", "呼叫中心、车载交互、会议记录",
         "speech recognition", ["speech recognition", "dialect", "acoustic model"]),
        ("无人机自主巡检", ["无人机", "自主导航", "巡检", "目标识别"], "人工巡检危险且覆盖不全", "电网、光伏电站、桥梁",
         "autonomous drone inspection", ["drone", "autonomous navigation", "inspection"]),
    ],
    "new-energy": [
        ("固态锂电池", ["固态电池", "电解质", "锂离子电池", "能量密度"], "液态电池安全性差、能量密度不足", "储能电站、电动汽车、消费电子",
         "solid-state lithium battery", ["solid-state battery", "electrolyte", "lithium-ion"]),
        ("钙钛矿太阳能电池", ["钙钛矿", "光伏", "光电转换效率", "薄膜"], "光伏组件转换效率低、成本高", "分布式光伏、建筑光伏一体化",
         "perovskite solar cell", ["perovskite", "photovoltaic", "conversion efficiency"]),
        ("氢燃料电池", ["氢能", "燃料电池", "质子交换膜", "催化剂"], "燃料电池成本高、寿命短", "氢能重卡、分布式发电、叉车",
         "hydrogen fuel cell", ["hydrogen", "fuel cell", "PEM"]),
        ("废旧动力电池回收", ["电池回收", "湿法冶金", "锂回收", "梯次利用"], "退役电池处置难、有价金属流失", "电池回收企业、材料再生",
         "spent battery recycling", ["battery recycling", "hydrometallurgy", "lithium recovery"]),
    ],
    "biomedicine": [
        ("抗肿瘤靶向药物", ["靶向药物", "肿瘤", "小分子抑制剂", "激酶"], "现有药物耐药性强、副作用大", "肺癌、肝癌治疗",
         "targeted anticancer drug", ["targeted therapy", "tumour", "kinase inhibitor"]),
        ("mRNA疫苗递送", ["mRNA", "脂质纳米颗粒", "疫苗", "递送系统"], "核酸药物递送效率低、稳定性差", "传染病疫苗、肿瘤免疫",
         "mRNA vaccine delivery", ["mRNA", "lipid nanoparticle", "vaccine"]),
        ("中药活性成分提取", ["中药", "活性成分", "提取纯化", "川产道地药材"], "有效成分含量低、提取工艺落后", "中药制剂、保健品",
         "extraction of TCM active compounds", ["traditional Chinese medicine", "extraction", "purification"]),
        ("体外诊断试剂", ["体外诊断", "化学发光", "检测试剂盒", "生物标志物"], "检测灵敏度低、依赖进口试剂", "医院检验科、基层医疗",
         "in-vitro diagnostics", ["IVD", "chemiluminescence", "biomarker"]),
    ],
    "aerospace": [
        ("航空发动机叶片涂层", ["热障涂层", "航空发动机", "叶片", "高温合金"], "叶片高温氧化、寿命短", "航空发动机、燃气轮机",
         "thermal barrier coating for turbine blades", ["thermal barrier coating", "aero-engine", "turbine blade"]),
        ("无人机复合材料机身", ["碳纤维", "复合材料", "轻量化", "无人机"], "机身重量大、航时短", "工业级无人机、通航飞机",
         "composite UAV airframe", ["carbon fibre", "composite", "lightweight"]),
        ("卫星导航抗干扰", ["北斗", "卫星导航", "抗干扰", "定位"], "复杂电磁环境下定位失效", "低空经济、应急通信、测绘",
         "anti-jamming satellite navigation", ["BeiDou", "GNSS", "anti-jamming"]),
    ],
    "rail-transit": [
        ("轨道状态智能检测", ["轨道检测", "钢轨", "病害识别", "巡检机器人"], "轨道病害发现滞后、人工巡检成本高", "地铁、高铁、重载铁路",
         "intelligent track inspection", ["track inspection", "rail defect", "inspection robot"]),
        ("列车减振降噪", ["减振", "降噪", "转向架", "振动控制"], "列车运行噪声大、乘坐舒适性差", "地铁车辆、高速列车",
         "train vibration and noise reduction", ["vibration damping", "noise reduction", "bogie"]),
        ("牵引供电节能", ["牵引供电", "再生制动", "能量回馈", "储能"], "再生制动能量浪费、供电损耗高", "城市轨道交通、电气化铁路",
         "energy-saving traction power", ["traction power", "regenerative braking", "energy feedback"]),
    ],
    "new-materials": [
        ("石墨烯导热膜", ["石墨烯", "导热膜", "散热", "热管理"], "电子器件散热不足导致性能下降", "智能手机、5G基站、动力电池",
         "graphene thermal film", ["graphene", "thermal film", "heat dissipation"]),
        ("生物可降解塑料", ["可降解", "聚乳酸", "生物基材料", "包装"], "传统塑料污染严重、降解慢", "快递包装、农用地膜、餐具",
         "biodegradable plastics", ["biodegradable", "PLA", "bio-based"]),
        ("高性能钒钛合金", ["钒钛", "合金", "耐腐蚀", "攀西资源"], "材料强度不足、耐蚀性差", "化工装备、海洋工程、航空结构件",
         "high-performance vanadium-titanium alloy", ["vanadium", "titanium alloy", "corrosion resistance"]),
        ("玄武岩纤维", ["玄武岩纤维", "增强材料", "复合材料", "耐高温"], "增强材料成本高、耐温性差", "建筑加固、防火材料、汽车部件",
         "basalt fibre", ["basalt fibre", "reinforcement", "high temperature"]),
    ],
    "advanced-manufacturing": [
        ("金属增材制造", ["3D打印", "增材制造", "激光熔覆", "金属粉末"], "复杂结构件加工周期长、材料浪费", "航空零件、模具、医疗植入物",
         "metal additive manufacturing", ["3D printing", "additive manufacturing", "laser"]),
        ("工业机器人精密减速器", ["减速器", "工业机器人", "精密传动", "谐波"], "核心部件依赖进口、精度保持性差", "机器人整机、数控机床",
         "precision reducer for industrial robots", ["reducer", "industrial robot", "harmonic drive"]),
        ("数控机床故障诊断", ["数控机床", "故障诊断", "预测性维护", "振动分析"], "设备突发故障造成停产", "机械加工、汽车零部件",
         "CNC machine fault diagnosis", ["CNC", "fault diagnosis", "predictive maintenance"]),
        ("智能焊接", ["焊接机器人", "焊缝跟踪", "视觉引导"], "焊接质量不稳定、熟练焊工短缺", "钢结构、压力容器、船舶",
         "intelligent welding", ["welding robot", "seam tracking", "vision guidance"]),
    ],
    "modern-agriculture": [
        ("水稻抗病育种", ["水稻", "抗病", "分子育种", "稻瘟病"], "稻瘟病导致减产严重", "种业企业、粮食生产基地",
         "disease-resistant rice breeding", ["rice", "disease resistance", "molecular breeding"]),
        ("智慧灌溉", ["智慧农业", "精准灌溉", "土壤墒情", "物联网"], "灌溉用水浪费、人工管理粗放", "柑橘园、茶园、设施农业",
         "smart irrigation", ["smart agriculture", "precision irrigation", "IoT"]),
        ("生猪疫病防控", ["生猪", "非洲猪瘟", "疫病检测", "养殖"], "疫病传播快、检测不及时", "规模化养殖场、屠宰企业",
         "swine disease control", ["pig farming", "African swine fever", "disease detection"]),
        ("茶叶精深加工", ["茶叶", "深加工", "茶多酚", "风味"], "茶叶附加值低、夏秋茶利用率低", "茶企、饮料、食品",
         "deep processing of tea", ["tea", "tea polyphenols", "processing"]),
    ],
    "energy-saving-environment": [
        ("工业废水深度处理", ["废水处理", "高级氧化", "膜分离", "零排放"], "难降解有机废水处理成本高", "化工园区、制药企业、印染",
         "advanced industrial wastewater treatment", ["wastewater", "advanced oxidation", "membrane"]),
        ("挥发性有机物治理", ["VOCs", "催化燃烧", "吸附", "大气治理"], "VOCs排放超标、治理能耗高", "涂装、印刷、石化",
         "VOC abatement", ["VOCs", "catalytic combustion", "adsorption"]),
        ("建筑节能改造", ["建筑节能", "热泵", "保温材料", "能耗监测"], "公共建筑能耗高", "医院、学校、商业综合体",
         "building energy retrofit", ["building energy", "heat pump", "insulation"]),
        ("固废资源化利用", ["固废", "资源化", "磷石膏", "建材"], "工业固废堆存占地、污染环境", "磷化工、建材企业",
         "solid waste valorisation", ["solid waste", "phosphogypsum", "building materials"]),
    ],
    "new-energy-vehicles": [
        ("电池管理系统", ["BMS", "电池管理", "荷电状态估计", "热失控预警"], "电池状态估计不准、热失控风险", "电动汽车、储能系统",
         "battery management system", ["BMS", "state of charge", "thermal runaway"]),
        ("驱动电机控制器", ["电机控制器", "碳化硅", "永磁同步电机", "电驱"], "电驱系统效率低、体积大", "新能源乘用车、商用车",
         "traction motor controller", ["motor controller", "SiC", "PMSM"]),
        ("智能网联车路协同", ["车路协同", "V2X", "自动驾驶", "边缘计算"], "单车智能感知盲区多", "智慧交通、园区无人驾驶",
         "vehicle-road cooperation", ["V2X", "autonomous driving", "edge computing"]),
    ],
    "digital-economy": [
        ("工业互联网平台", ["工业互联网", "数字孪生", "设备联网", "数据中台"], "设备数据孤岛、生产不透明", "离散制造、流程工业",
         "industrial internet platform", ["industrial internet", "digital twin", "data platform"]),
        ("隐私计算", ["隐私计算", "联邦学习", "数据安全", "多方安全计算"], "数据共享与隐私保护矛盾", "金融风控、医疗数据、政务",
         "privacy-preserving computation", ["privacy computing", "federated learning", "data security"]),
        ("区块链溯源", ["区块链", "溯源", "供应链", "防伪"], "产品来源难追溯、假冒伪劣", "农产品、药品、白酒",
         "blockchain traceability", ["blockchain", "traceability", "supply chain"]),
    ],
    "medical-devices": [
        ("手术机器人", ["手术机器人", "微创", "力反馈", "导航定位"], "手术精度依赖医生经验", "骨科、神经外科、腔镜手术",
         "surgical robot", ["surgical robot", "minimally invasive", "navigation"]),
        ("可穿戴健康监测", ["可穿戴", "心电监测", "柔性传感器", "健康管理"], "慢病患者缺少连续监测", "家庭医疗、养老机构",
         "wearable health monitoring", ["wearable", "ECG", "flexible sensor"]),
        ("医学影像人工智能辅助诊断", ["医学影像", "辅助诊断", "CT", "病灶分割"], "影像医生阅片负担重、基层诊断能力弱", "医院放射科、体检中心",
         "AI-assisted medical imaging", ["medical imaging", "computer-aided diagnosis", "segmentation"]),
    ],
    "integrated-circuits": [
        ("功率半导体器件", ["功率器件", "碳化硅", "IGBT", "MOSFET"], "功率器件损耗大、耐压不足", "新能源汽车、光伏逆变器、工业电源",
         "power semiconductor devices", ["power device", "SiC", "IGBT"]),
        ("芯片封装测试", ["先进封装", "晶圆级封装", "测试", "可靠性"], "封装良率低、散热差", "消费电子芯片、汽车芯片",
         "chip packaging and test", ["advanced packaging", "wafer-level", "reliability"]),
        ("模拟集成电路设计", ["模拟芯片", "ADC", "低功耗", "电源管理芯片"], "高精度模拟芯片依赖进口", "仪器仪表、物联网终端",
         "analogue IC design", ["analogue IC", "ADC", "low power"]),
    ],
}

METHODS = ["多尺度仿真", "深度学习", "新型催化", "微纳结构设计", "低温制备", "原位表征", "智能优化算法", "模块化集成",
           "自适应控制", "绿色合成", "高通量筛选", "多源数据融合"]
ADVANTAGES = ["成本降低{n}%", "效率提升{n}%", "寿命延长{n}%", "能耗降低{n}%", "精度提高{n}%", "良率提升至9{d}%"]
STAGE_TEXT = {"lab": "完成实验室验证", "small_pilot": "完成小试", "pilot": "完成中试并建成示范线", "industrial": "实现产业化应用"}
EN_STAGE_TEXT = {"lab": "validated in the laboratory", "small_pilot": "tested at small scale",
                 "pilot": "piloted on a demonstration line", "industrial": "in industrial use"}

INSTITUTIONS = [
    ("四川大学", "university", "wuhou"), ("电子科技大学", "university", "high-tech-zone"),
    ("西南交通大学", "university", "jinniu"), ("西南石油大学", "university", "xindu"),
    ("成都理工大学", "university", "chenghua"), ("四川农业大学", "university", "wenjiang"),
    ("成都中医药大学", "university", "wenjiang"), ("西华大学", "university", "pidu"),
    ("成都信息工程大学", "university", "shuangliu"), ("成都大学", "university", "longquanyi"),
    ("西南民族大学", "university", "shuangliu"), ("成都工业学院", "university", "pidu"),
    ("四川师范大学", "university", "jinjiang"), ("成都医学院", "university", "xindu"),
    ("成都工业职业技术学院", "university", "pidu"), ("中国科学院成都生物研究所", "institute", "wuhou"),
    ("中国科学院光电技术研究所", "institute", "shuangliu"), ("中国科学院成都有机化学研究所", "institute", "wuhou"),
    ("中国科学院成都山地灾害与环境研究所", "institute", "wuhou"), ("四川省农业科学院", "institute", "jinjiang"),
    ("四川省林业科学研究院", "institute", "jinniu"), ("成都市农林科学院", "institute", "wenjiang"),
    ("四川省机械研究设计院", "institute", "jinniu"), ("四川大学华西医院", "hospital", "wuhou"),
    ("四川省人民医院", "hospital", "qingyang"), ("天府兴隆湖实验室", "institute", "tianfu-new-area"),
    ("天府绛溪实验室", "institute", "eastern-new-area"), ("天府永兴实验室", "institute", "tianfu-new-area"),
    ("天府锦城实验室", "institute", "high-tech-zone"), ("成都先进功率半导体研究院", "institute", "pidu"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰",
         "霞", "平", "刚", "桂英", "建华", "志强", "晓东", "海燕", "文博", "思远", "雨萱", "子涵"]
TITLES = ["教授", "研究员", "副教授", "副研究员", "高级工程师", "讲师"]

BRANDS = ["天府", "蓉城", "锦江", "蜀芯", "川智", "青城", "峨眉", "岷江", "华西", "西岭", "银杏", "熊猫", "金沙", "浣花",
          "龙泉", "蓉欧", "天投", "蜀道", "锦城", "凤凰", "东软", "晨光", "中科", "九洲", "长虹", "新蓉", "川能", "瑞康"]
SECTOR_WORDS = {
    "electronic-information": "电子", "artificial-intelligence": "智能", "new-energy": "新能源", "biomedicine": "生物医药",
    "aerospace": "航空", "rail-transit": "轨道交通", "new-materials": "新材料", "advanced-manufacturing": "智能装备",
    "modern-agriculture": "农业", "energy-saving-environment": "环保", "new-energy-vehicles": "汽车",
    "digital-economy": "数字", "medical-devices": "医疗器械", "integrated-circuits": "微电子",
}
AGENCIES = ["成都技术转移（集团）有限公司", "四川大学技术转移中心", "电子科技大学国家技术转移中心",
            "西南交通大学技术转移中心", "成都知识产权交易中心"]
